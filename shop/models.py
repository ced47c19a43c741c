"""The shop's organizations, their members, and the product pages each organization publishes."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, InlinePanel
from wagtail.api import APIField
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.fields import RichTextField
from wagtail.images import get_image_model_string
from wagtail.images.api.fields import ImageRenditionField
from wagtail.models import Collection, Orderable, Page

from shop.roles import Role, ensure_organization_access
from video_plugin.api.fields import AIVideoField
from video_plugin.editor.panels import VideoPanel
from video_plugin.jobs.product import ProductFacts, shown_price
from video_plugin.jobs.scripts import ScriptSource
from video_plugin.mixins import VideoPageMixin
from video_plugin.models import validate_voice_id


class Organization(models.Model):
    """A tenant: a brand with its own pages, its own image and media collection, and its own members."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=50, unique=True)
    collection = models.OneToOneField(
        Collection,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="organization",
    )
    default_voice = models.CharField(max_length=100, default="espeak:en-us", validators=[validate_voice_id])
    default_presenter_image = models.ForeignKey(
        get_image_model_string(),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Used for product pages without their own presenter image.",
    )
    auto_generate_on_publish = models.BooleanField(
        default=False, help_text="Render a new presenter video whenever a product page is published."
    )
    editor_videos_live_at_once = models.BooleanField(
        default=False,
        help_text="Show a video generated in the page editor on the live page as soon as it is ready. Off: "
        "it goes live with the page's next publish, or when someone who may publish the page makes it live.",
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("default_voice"),
        FieldPanel("default_presenter_image"),
        FieldPanel("auto_generate_on_publish"),
        FieldPanel("editor_videos_live_at_once"),
    ]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        ensure_organization_access(self)

    @property
    def index_page(self) -> ProductIndexPage | None:
        """The catalogue's index page in the site's default language (the source of its translations), else
        its first index page; ``index_pages`` holds every locale's."""
        pages = self.index_pages.order_by("pk")
        default_language = get_supported_content_language_variant(settings.LANGUAGE_CODE)
        return pages.filter(locale__language_code=default_language).first() or pages.first()


class Membership(models.Model):
    """A user's role in one organization. Saving or deleting one keeps the user's Wagtail groups in step."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=[(role.value, role.name.title()) for role in Role])

    panels = [FieldPanel("user"), FieldPanel("organization"), FieldPanel("role")]

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="shop_one_membership_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.user} is {self.role} of {self.organization}"


class ProductIndexPage(Page):
    """The root of one organization's catalogue; its page permissions are the organization's."""

    # A ForeignKey, not one-to-one: each translation of the index page (one per locale, Wagtail i18n) is a
    # page of its own and belongs to the same organization.
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="index_pages")
    intro = RichTextField(blank=True)

    content_panels = [*Page.content_panels, FieldPanel("organization"), FieldPanel("intro")]
    subpage_types = ["shop.ProductPage"]

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        ensure_organization_access(self.organization)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # Each price is written in its page's language, which its locale says.
        context["products"] = ProductPage.objects.child_of(self).live().select_related("locale")
        return context


class ProductPage(VideoPageMixin, Page):
    """A product, narrated by a presenter video when its organization has one rendered."""

    description = RichTextField(blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    product_image = models.ForeignKey(
        get_image_model_string(), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    presenter_image = models.ForeignKey(
        get_image_model_string(),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="One face, facing the camera. Empty: the organization's default.",
    )
    video_script = models.TextField(
        blank=True,
        help_text="What the presenter says. Empty: composed from the page.",
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("description"),
        FieldPanel("price"),
        FieldPanel("product_image"),
        InlinePanel("gallery_images", label="Gallery", heading="Gallery"),
        FieldPanel("presenter_image"),
        FieldPanel("video_script"),
        VideoPanel(),
    ]
    parent_page_types = ["shop.ProductIndexPage"]
    subpage_types: list[str] = []

    api_fields = [
        APIField("description"),
        APIField("price"),
        APIField("product_image", serializer=ImageRenditionField("max-800x800")),
        APIField("ai_video", serializer=AIVideoField(source="*")),
    ]

    def video_script_source(self) -> ScriptSource:
        """This translation's own title, description and script, and its price in the shop's currency, in
        the page's language."""
        return ScriptSource(
            title=self.title,
            description=self.description,
            price=self.price,
            currency=shop_currency(),
            script=self.video_script,
            language=self.video_language(),
        )

    def video_presenter_image(self):
        return self.presenter_image

    @property
    def price_text(self) -> str:
        """The price as this translation's language writes it, in the shop's currency, as the video's price
        tag shows it ("$24", "19,90 €")."""
        return shown_price(self.price, shop_currency(), self.video_language())

    def video_product(self) -> ProductFacts:
        """The name, price and pictures (main image, then the gallery) a finished video shows."""
        gallery = [item.image for item in self.gallery_images.select_related("image").order_by("sort_order")]
        price = self.price
        return ProductFacts(
            name=self.title,
            price=shown_price(price, shop_currency(), self.video_language()) if price is not None else "",
            images=[image for image in (self.product_image, *gallery) if image is not None],
        )


def shop_currency() -> str:
    """The ISO 4217 code of the shop's prices: ``settings.SHOP_CURRENCY``, US dollars when unset."""
    return getattr(settings, "SHOP_CURRENCY", "USD")


class ProductGalleryImage(Orderable):
    """One more picture of a product, after its main image: finished videos cycle through them."""

    page = ParentalKey(ProductPage, on_delete=models.CASCADE, related_name="gallery_images")
    image = models.ForeignKey(get_image_model_string(), on_delete=models.CASCADE, related_name="+")

    panels = [FieldPanel("image")]
