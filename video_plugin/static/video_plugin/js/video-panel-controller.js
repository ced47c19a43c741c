/**
 * The presenter video panel: POSTs a generate request and polls the page's latest job until it ends.
 * Registered on Wagtail's own Stimulus application, so it follows the admin's lifecycle (panels, tabs, previews).
 */
(() => {
  const TERMINAL = ['succeeded', 'failed', 'cancelled'];

  class VideoPanelController extends window.StimulusModule.Controller {
    static targets = ['status', 'button'];
    static values = {
      generateUrl: String,
      statusUrl: String,
      csrfToken: String,
      pollMs: { type: Number, default: 2000 },
      active: Boolean,
    };

    connect() {
      if (this.activeValue) this.schedulePoll();
    }

    disconnect() {
      clearTimeout(this.timer);
    }

    async generate() {
      this.buttonTarget.disabled = true;
      try {
        const response = await fetch(this.generateUrlValue, {
          method: 'POST',
          headers: { 'X-CSRFToken': this.csrfTokenValue, Accept: 'application/json' },
          credentials: 'same-origin',
        });
        const body = await response.json().catch(() => ({}));
        if (!response.ok) {
          this.showText(body.error || `Request refused (${response.status}).`);
          this.buttonTarget.disabled = false;
          return;
        }
        this.show(body.job);
      } catch (error) {
        this.showText(`Could not reach the server: ${error.message}`);
        this.buttonTarget.disabled = false;
      }
    }

    async poll() {
      try {
        const response = await fetch(this.statusUrlValue, { headers: { Accept: 'application/json' } });
        if (response.ok) this.show((await response.json()).job);
        else this.schedulePoll();
      } catch {
        this.schedulePoll();
      }
    }

    schedulePoll() {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.poll(), this.pollMsValue);
    }

    show(job) {
      if (!job) return;
      let text = job.status;
      if (job.stage) text += ` · ${job.stage}`;
      if (job.fraction !== null && job.status === 'running') text += ` · ${Math.round(job.fraction * 100)}%`;
      if (job.error_message) text += ` · ${job.error_message}`;
      this.showText(text);
      const finished = TERMINAL.includes(job.status);
      if (this.hasButtonTarget) this.buttonTarget.disabled = !finished;
      if (!finished) this.schedulePoll();
      else if (job.status === 'succeeded' && job.video_url) this.showVideo(job.video_url);
    }

    showText(text) {
      this.statusTarget.textContent = text;
    }

    showVideo(url) {
      const existing = this.element.querySelector('video');
      if (existing) {
        existing.src = url;
        return;
      }
      const video = document.createElement('video');
      video.controls = true;
      video.width = 320;
      video.src = url;
      this.element.prepend(video);
    }
  }

  window.wagtail.app.register('video-panel', VideoPanelController);
})();
