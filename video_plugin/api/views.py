"""The job API's endpoints: create, list, get and cancel an organization's video jobs."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from wagtail.models import Page

from gpu_runner.protocol import ErrorCode
from video_plugin.api.auth import HasOrganizationToken, OrganizationTokenAuthentication, organization_id
from video_plugin.api.errors import JobAlreadyFinished, PageNotNarratable, error_body, exception_handler
from video_plugin.api.limits import check_jobs_in_flight
from video_plugin.api.parsers import BoundedJSONParser
from video_plugin.api.serializers import JobCreateSerializer, JobFilterSerializer, job_representation
from video_plugin.jobs.cancellation import cancel_job
from video_plugin.jobs.requests import VideoRequestError, active_job, request_video
from video_plugin.mixins import VideoPageMixin
from video_plugin.models import Presenter, VideoJob
from video_plugin.tenancy import OrganizationInfo, get_tenancy

# Requests refused because of their face, answered 422 rather than 201 with a failed job (refused).
PRESENTER_REFUSALS = (ErrorCode.NO_CONSENT, ErrorCode.NOT_A_PRESENTER)
# Requests refused at once, also answered 422 with the failed job: the face's, and a script longer than the
# voice may read in the page's language (shorter than MAX_SCRIPT_CHARS for languages such as Japanese, which
# the serializer cannot know before the page and voice are resolved).
REFUSED_AT_REQUEST = (*PRESENTER_REFUSALS, ErrorCode.SCRIPT_TOO_LONG)


class JobAPIView(APIView):
    """Token-authenticated JSON in and out, with the API's error shape."""

    authentication_classes = [OrganizationTokenAuthentication]
    permission_classes = [HasOrganizationToken]
    renderer_classes = [JSONRenderer]
    parser_classes = [BoundedJSONParser]

    def get_exception_handler(self) -> Any:
        return exception_handler

    def jobs(self) -> QuerySet[VideoJob]:
        """The jobs of the token's organization: the only ones this API ever shows."""
        return VideoJob.objects.filter(organization_id=organization_id(self.request)).select_related(
            "media", "presenter"
        )

    def get_job(self, job_id: str) -> VideoJob:
        job = self.jobs().filter(job_id=job_id).first()
        if job is None:
            raise exceptions.NotFound(f"no job {job_id!r} in this organization; list jobs with GET /jobs/")
        return job


class JobListView(JobAPIView):
    """``GET /jobs/`` lists jobs, newest first; ``POST /jobs/`` requests a video for a page."""

    def get(self, request: Request) -> Response:
        filters = JobFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        query = filters.validated_data
        jobs = self.jobs()
        for name in ("status", "trigger"):
            if name in query:
                jobs = jobs.filter(**{name: query[name]})
        if "page" in query:
            jobs = jobs.filter(page_id=query["page"])
        if "created_after" in query:
            jobs = jobs.filter(created_at__gte=query["created_after"])
        if "created_before" in query:
            jobs = jobs.filter(created_at__lt=query["created_before"])
        offset, limit = query["offset"], query["limit"]
        return Response(
            {
                "count": jobs.count(),
                "results": [job_representation(job, request) for job in jobs[offset : offset + limit]],
            }
        )

    def post(self, request: Request) -> Response:
        body = JobCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        page, organization = self.organization_page(data["page"])
        image = self.organization_image(data["image"], organization) if "image" in data else None
        presenter = (
            self.organization_presenter(data["presenter"], organization) if "presenter" in data else None
        )
        in_flight = active_job(page)
        if in_flight is not None:
            return Response(job_representation(in_flight, request), status=status.HTTP_200_OK)
        check_jobs_in_flight(organization.id)
        try:
            job = request_video(
                page,
                None,
                VideoJob.Trigger.API,
                script=data.get("script"),
                voice=data.get("voice"),
                image=image,
                api_token=request.auth,
                presenter=presenter,
                layout=data.get("layout"),
                formats=data.get("formats"),
                burn_captions=data.get("burn_captions"),
            )
        except VideoRequestError as exc:
            raise PageNotNarratable(str(exc)) from None
        if job.status == VideoJob.Status.FAILED and job.error_code in REFUSED_AT_REQUEST:
            return refused(job)
        # 201 even in the rare race where another request created the page's job a moment before this one.
        return Response(job_representation(job, request), status=status.HTTP_201_CREATED)

    def organization_page(self, page_id: int) -> tuple[Any, OrganizationInfo]:
        """The page, if it belongs to the token's organization; other organizations' pages do not exist."""
        page = Page.objects.filter(pk=page_id).first()
        organization = get_tenancy().organization_for_page(page) if page is not None else None
        if organization is None or organization.id != organization_id(self.request):
            raise exceptions.NotFound(f"no page {page_id} in this organization")
        page = page.specific
        if not isinstance(page, VideoPageMixin):
            raise PageNotNarratable(
                f"page {page_id} ({type(page).__name__}) cannot have a presenter video; use a product page"
            )
        return page, organization

    def organization_presenter(self, presenter_id: int, organization: OrganizationInfo) -> Presenter:
        """The presenter, if it is one of the organization's; other organizations' presenters do not exist."""
        presenter = Presenter.objects.filter(pk=presenter_id, organization_id=organization.id).first()
        if presenter is None:
            raise exceptions.ValidationError(
                {"presenter": f"no presenter {presenter_id} in organization {organization.name!r}"}
            )
        return presenter

    def organization_image(self, image_id: int, organization: OrganizationInfo) -> Any:
        """The image, if the organization's tokens may use it (:meth:`Tenancy.images_of`)."""
        image = get_tenancy().images_of(organization).filter(pk=image_id).first()
        if image is None:
            raise exceptions.ValidationError(
                {"image": f"no image {image_id} that organization {organization.name!r} may use"}
            )
        return image


def refused(job: VideoJob) -> Response:
    """``422`` for a request whose face may not be animated, or whose script is longer than the voice may read
    in the page's language: the reason (and who can fix it, or the limit), and the failed job that records the
    refusal (``GET /jobs/{id}/``, webhooks' ``video.failed``).

    Other inputs missing (no script) still answer ``201`` with the failed job: those a client fixes in its
    own request, while a presenter's consent is a fact about a person it must not retry around, and a script
    too long for its language is refused as the serializer refuses one over ``MAX_SCRIPT_CHARS``.
    """
    body = error_body(job.error_code, job.error_message)
    body["error"]["job"] = job.job_id
    return Response(body, status=status.HTTP_422_UNPROCESSABLE_ENTITY)


class JobDetailView(JobAPIView):
    """``GET /jobs/{id}/``: one job."""

    def get(self, request: Request, job_id: str) -> Response:
        return Response(job_representation(self.get_job(job_id), request))


class JobCancelView(JobAPIView):
    """``POST /jobs/{id}/cancel/``: stop a queued or running job."""

    def post(self, request: Request, job_id: str) -> Response:
        cancellation = cancel_job(self.get_job(job_id), f"API token {request.auth.name!r}")
        job = cancellation.job
        if not cancellation.cancelled:
            raise JobAlreadyFinished(f"job {job_id} already {job.status}; only queued or running jobs cancel")
        return Response(job_representation(job, request))
