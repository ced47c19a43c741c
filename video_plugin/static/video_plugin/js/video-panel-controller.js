/**
 * The presenter video panel. Renders the state the server sends (the latest job, the page's videos and the
 * runners), polls it while the panel is open, and drives the controls: script, voice, presenter, layout,
 * formats and captions with their live preview, generate, cancel, and choosing the current video. Registered
 * on Wagtail's own Stimulus application: no build step.
 *
 * Text from the server is set with textContent only, never as HTML.
 */
(() => {
  const ACTIVE = ['queued', 'running'];
  // While nothing is in flight the panel still refreshes the runner status, just less often.
  const IDLE_POLL_FACTOR = 5;
  // A runner voices a preview in a second or two; asking for half a minute covers a cold or busy runner.
  const PREVIEW_POLL_MS = 1000;
  const PREVIEW_TRIES = 30;
  // The layout preview waits for the editor to stop clicking before it asks the server to draw.
  const LAYOUT_PREVIEW_DEBOUNCE_MS = 250;

  // Django's catalogue (video_plugin:javascript_catalog, loaded before this file) gives the editor's language;
  // without it the panel still works, in English. The names stay gettext and ngettext so makemessages finds
  // the strings.
  const gettext = window.gettext || ((text) => text);
  const ngettext = window.ngettext || ((singular, plural, count) => (count === 1 ? singular : plural));
  const interpolate =
    window.interpolate || ((format, values) => format.replace(/%\((\w+)\)s/g, (_, name) => String(values[name])));
  const fill = (text, values) => interpolate(text, values, true);

  const icon = (name) => {
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('class', `icon icon-${name}`);
    svg.setAttribute('aria-hidden', 'true');
    const use = document.createElementNS('http://www.w3.org/2000/svg', 'use');
    use.setAttribute('href', `#icon-${name}`);
    svg.append(use);
    return svg;
  };

  const element = (tag, attributes = {}, ...children) => {
    const node = document.createElement(tag);
    Object.entries(attributes).forEach(([key, value]) => {
      if (value !== null && value !== undefined && value !== false) node.setAttribute(key, value);
    });
    node.append(...children.filter((child) => child !== null && child !== undefined));
    return node;
  };

  // The runner's messages start in lower case ("this runner serves…"); shown after a reason, they open a sentence.
  const sentence = (text) => {
    const trimmed = (text || '').trim();
    if (!trimmed) return '';
    const capitalized = trimmed[0].toUpperCase() + trimmed.slice(1);
    return /[.!?]$/.test(capitalized) ? capitalized : `${capitalized}.`;
  };

  // The server writes every duration it sends (duration_text in video_plugin/jobs/speech_time.py); this is
  // the same rule for the estimate of a script being typed: whole seconds dropped down, like the player.
  const durationText = (value) => {
    const total = Math.max(0, Math.floor(value));
    if (total >= 60) {
      // Translators: a length of time, e.g. "1 min 21 s".
      return fill(gettext('%(minutes)s min %(seconds)s s'), { minutes: Math.floor(total / 60), seconds: total % 60 });
    }
    // Translators: a length of time under a minute, e.g. "8 s".
    return fill(gettext('%(seconds)s s'), { seconds: total });
  };

  // speaking_rate() in speech_time.py: the engine's rate for the script's language (the page's) when known,
  // else the voice's language, else the engine's default.
  const speakingRate = (rates, voice, scriptLanguage) => {
    const [engine, name] = voice.split(':');
    const engineRates = rates.engines[engine];
    if (!engineRates) return rates.default;
    const language = (scriptLanguage || (name || '').split(/[-_]/)[0]).toLowerCase();
    return engineRates[language] || engineRates.default;
  };

  // characters_per_second() in speech_time.py: a word of English is about CHARACTERS_PER_WORD (6) characters.
  const charactersPerSecond = (rate) => rate.per_second * (rate.unit === 'words' ? 6 : 1);

  // longest_script_chars() in speech_time.py: as long spoken as ``limit`` characters of English by the same
  // engine, never over ``limit``; Japanese and Chinese, which say more per character, get fewer.
  const scriptLimit = (rates, voice, language, limit) => {
    const ratio = charactersPerSecond(speakingRate(rates, voice, language)) / charactersPerSecond(speakingRate(rates, voice, 'en'));
    return Math.min(limit, Math.floor(limit * ratio));
  };

  // SpeakingRate.seconds_for() in speech_time.py: a digit counts as several letters, being read out as words.
  const spokenSeconds = (text, rate, digitLetters) => {
    if (rate.unit === 'words') return (text ? text.split(/\s+/).length : 0) / rate.per_second;
    const letters = (text.match(/[\p{L}\p{N}]/gu) || []).length;
    const digits = (text.match(/\p{Nd}/gu) || []).length;
    return (letters + (digitLetters - 1) * digits) / rate.per_second;
  };

  class VideoPanelController extends window.StimulusModule.Controller {
    static targets = [
      'runner', 'state', 'controls', 'tone', 'script', 'scriptCount', 'voice', 'voiceHelp', 'presenter',
      'faceCheck', 'presenterStanding', 'generate', 'generateLabel', 'cancel', 'error', 'history', 'playerTemplate',
      'previewButton', 'preview', 'previewAudio', 'previewHelp', 'renditionTemplate',
      'layout', 'format', 'burnCaptions', 'layoutPreview', 'layoutPreviewImage', 'layoutPreviewHelp', 'previewFormat',
    ];

    static values = {
      state: Object,
      urls: Object,
      csrfToken: String,
      pollMs: { type: Number, default: 2000 },
      canGenerate: Boolean,
      canPublish: Boolean,
      maxChars: Number,
      speakingRates: Object,
      // The voice a job of this page gets when the editor picks none, in the page's language
      // (video_plugin/jobs/voices.py); empty when nothing can voice that language.
      defaultVoice: String,
      // The primary language of the page's locale ("de"): its voices are listed first.
      pageLanguage: String,
      layoutDefaults: Object,
      // Whose face the preset photo is and whether it may be animated (video_plugin/presenters/standing.py).
      presenterStanding: Object,
    };

    connect() {
      this.face = null;
      this.faceConfirmed = false;
      this.standingConfirmed = false;
      this.standing = Object.keys(this.presenterStandingValue).length ? this.presenterStandingValue : null;
      this.voicesShown = null;
      this.presenterInput = this.hasPresenterTarget ? this.presenterTarget.querySelector('input[type=hidden]') : null;
      if (this.presenterInput) {
        // The chooser reports a new image by a change event on its hidden input, which does not bubble.
        this.onPresenterChange = () => {
          this.showPresenterStanding(null);
          this.checkFace();
          this.scheduleLayoutPreview();
        };
        this.presenterInput.addEventListener('change', this.onPresenterChange);
        this.checkFace();
      }
      if (this.hasScriptTarget) this.countScript();
      // Until the editor touches them, formats and captions follow the chosen layout's defaults.
      this.formatsTouched = false;
      this.captionsTouched = false;
      this.layoutPreviewSequence = 0;
      if (this.hasLayoutPreviewTarget) this.formatsChanged({ initial: true });
      this.render(this.stateValue);
    }

    disconnect() {
      clearTimeout(this.timer);
      clearTimeout(this.previewTimer);
      clearTimeout(this.layoutPreviewTimer);
      if (this.layoutPreviewUrl) URL.revokeObjectURL(this.layoutPreviewUrl);
      if (this.presenterInput) this.presenterInput.removeEventListener('change', this.onPresenterChange);
    }

    url(name, jobId) {
      return this.urlsValue[name].replace('JOB_ID', encodeURIComponent(jobId || ''));
    }

    async request(url, options = {}) {
      const headers = { Accept: 'application/json', ...(options.headers || {}) };
      if (options.method === 'POST') {
        headers['X-CSRFToken'] = this.csrfTokenValue;
        headers['Content-Type'] = 'application/json';
      }
      const response = await fetch(url, { credentials: 'same-origin', ...options, headers });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(body.error || fill(gettext('The server refused the request (%(status)s).'), { status: response.status }));
      return body;
    }

    showError(message) {
      if (!this.hasErrorTarget) return;
      this.errorTarget.textContent = message || '';
      this.errorTarget.hidden = !message;
    }

    // --- polling ----------------------------------------------------------------------------------------

    schedulePoll(active) {
      clearTimeout(this.timer);
      const delay = active ? this.pollMsValue : this.pollMsValue * IDLE_POLL_FACTOR;
      this.timer = setTimeout(() => this.poll(), delay);
    }

    async poll() {
      try {
        this.render(await this.request(this.url('status')));
      } catch (error) {
        this.schedulePoll(true);
      }
    }

    // --- rendering --------------------------------------------------------------------------------------

    render(state) {
      this.state = state;
      const { job } = state;
      const active = Boolean(job && ACTIVE.includes(job.status));
      this.renderRunner(state.runner, state.queue_length);
      this.renderJob(job);
      this.renderHistory(state.history || []);
      if (this.canGenerateValue) {
        this.renderVoices(state.runner);
        this.generateTarget.disabled = active;
        this.cancelTarget.hidden = !active;
        this.generateLabelTarget.textContent = this.generateLabel(job);
      }
      this.schedulePoll(active);
    }

    renderRunner(runner, queueLength) {
      const queued = fill(ngettext('%(count)s job queued', '%(count)s jobs queued', queueLength), { count: queueLength });
      let content;
      if (!runner.known) {
        content = [icon('warning'), element('span', {}, fill(gettext('Runner status unknown: %(problem)s'), { problem: runner.problem }))];
      } else if (runner.online) {
        const runners = runner.busy
          ? fill(ngettext('%(count)s runner, %(busy)s busy', '%(count)s runners, %(busy)s busy', runner.runners), { count: runner.runners, busy: runner.busy })
          : fill(ngettext('%(count)s runner', '%(count)s runners', runner.runners), { count: runner.runners });
        content = [
          element('span', { class: 'w-status w-status--primary' }, gettext('Runner online')),
          element('span', {}, `${runners} · ${queued}`),
        ];
      } else {
        content = [
          element('span', { class: 'w-status' }, gettext('Runner offline')),
          element('span', {}, `${gettext('No video runner is online; jobs wait in the queue until one starts')} · ${queued}`),
        ];
      }
      this.runnerTarget.replaceChildren(...content);
    }

    renderJob(job) {
      // Polls repeat the same state; rebuilding the player would restart a video the editor is watching.
      const signature = JSON.stringify(job);
      if (signature === this.jobShown) return;
      this.jobShown = signature;
      const target = this.stateTarget;
      target.dataset.state = job ? job.status : 'none';
      if (!job) {
        target.replaceChildren(element('p', { class: 'help-block help-info' }, icon('media'), ` ${gettext('This page has no presenter video yet.')}`));
        return;
      }
      const parts = [];
      if (job.status === 'queued') {
        parts.push(element('p', {}, element('span', { class: 'w-status' }, gettext('Queued')), ` ${fill(gettext('Position %(position)s in the queue.'), { position: job.queue_position })}`));
      } else if (job.status === 'running') {
        const percent = job.percent ?? 0;
        const eta = job.eta_text ? ` · ${fill(gettext('about %(time)s left'), { time: job.eta_text })}` : '';
        parts.push(
          element('p', {}, element('span', { class: 'w-status w-status--primary' }, gettext('Rendering')), ` ${job.stage_label || gettext('Starting')} · ${percent}%${eta}`),
          element('progress', { class: 'aivideo-panel__progress', max: '100', value: String(percent), 'aria-label': gettext('Rendering progress') }),
        );
      } else if (job.status === 'succeeded') {
        parts.push(this.player(job));
      } else if (job.status === 'cancelled') {
        parts.push(
          element(
            'div',
            { class: 'help-block help-warning' },
            icon('warning'),
            element('strong', {}, ` ${gettext('Cancelled:')} `),
            job.error_message
              ? fill(gettext('no video was made (%(reason)s).'), { reason: job.error_message })
              : gettext('no video was made.'),
          ),
        );
      } else {
        parts.push(
          element(
            'div',
            { class: 'help-block help-critical' },
            icon('error'),
            element('strong', {}, ` ${gettext('Failed:')} `),
            `${job.reason || ''} ${sentence(job.error_message)}`.trim(),
          ),
        );
      }
      if (job.waiting_for_runner) {
        parts.push(element('p', { class: 'help-block help-warning' }, icon('warning'), ` ${gettext('Waiting for a runner: no progress is made until one is online.')}`));
      }
      parts.push(this.spokenScript(job, true));
      target.replaceChildren(...parts);
    }

    player(job) {
      const { playback } = job;
      const figure = this.playerTemplateTarget.content.firstElementChild.cloneNode(true);
      const field = (name) => figure.querySelector(`[data-field="${name}"]`);
      // A job from before finished videos has one main video; it is shown as its only rendition.
      const renditions = job.renditions.length
        ? job.renditions
        : [{ url: playback.video_url, poster_url: playback.poster_url, width: playback.width, height: playback.height, label: gettext('Video'), aspect: null, captions_burned: false }];
      field('renditions').replaceChildren(...renditions.map((rendition) => this.rendition(rendition, playback.captions_url)));
      field('duration').textContent = job.duration_text || gettext('length unknown');
      const fellBack = job.voice && job.voice_used && job.voice !== job.voice_used;
      field('voice').textContent = fellBack
        ? fill(gettext('%(used)s (asked for %(asked)s)'), { used: job.voice_used, asked: job.voice })
        : job.voice_used || job.voice;
      field('renderer').textContent = job.renderer_used || job.renderer;
      field('kind').textContent = job.renderer_label || '';
      field('layout').textContent = job.layout_label || job.layout || '';
      if (job.voice_note) {
        field('voiceNote').hidden = false;
        field('voiceNote').textContent = job.voice_note;
      }
      if (job.fallbacks.length) {
        field('fallbacks').hidden = false;
        field('fallbacks').textContent = fill(gettext('Details: %(details)s'), { details: job.fallbacks.join('; ') });
      }
      return figure;
    }

    // One format of a finished video: its player with its own poster, its facts and its download.
    rendition(rendition, captionsUrl) {
      const figure = this.renditionTemplateTarget.content.firstElementChild.cloneNode(true);
      const field = (name) => figure.querySelector(`[data-field="${name}"]`);
      const video = field('video');
      figure.dataset.format = rendition.format || 'main';
      if (rendition.poster_url) video.poster = rendition.poster_url;
      field('source').src = rendition.url;
      // Captions burned into the picture would be shown twice if the track were on by default. A rendition
      // has its own, timed to it (after an intro card).
      if (rendition.captions_url || captionsUrl) {
        field('captions').src = rendition.captions_url || captionsUrl;
        field('captions').default = !rendition.captions_burned;
      } else {
        field('captions').remove();
      }
      field('label').textContent = rendition.label;
      field('size').textContent = rendition.width ? `${rendition.width}×${rendition.height}` : '';
      field('captionsNote').textContent = rendition.captions_burned ? gettext('captions burned in') : '';
      field('download').href = rendition.url;
      field('downloadLabel').textContent = rendition.aspect
        ? fill(gettext('Download %(aspect)s MP4'), { aspect: rendition.aspect })
        : gettext('Download MP4');
      video.load();
      return figure;
    }

    // What a job said and who asked for it: a job started on publish, by a batch or through the API has no
    // script in the script box, which holds the page's own.
    spokenScript(job, open) {
      const summary = element('summary', {}, job.requested_text);
      const block = element('details', { class: 'aivideo-panel__spoken', open: open ? 'open' : null }, summary);
      if (!job.script) {
        block.append(element('p', { class: 'help-block' }, gettext('No script was recorded for this job.')));
        return block;
      }
      block.append(element('blockquote', { class: 'aivideo-panel__script' }, job.script));
      if (this.canGenerateValue) {
        const button = element('button', { type: 'button', class: 'button button-small button-secondary' }, icon('edit'), ` ${gettext('Use this script')}`);
        button.addEventListener('click', () => {
          this.scriptTarget.value = job.script;
          this.countScript();
          this.scriptTarget.focus();
        });
        block.append(button);
      }
      return block;
    }

    renderHistory(history) {
      const items = history.map((entry) => {
        const when = new Date(entry.created_at).toLocaleString();
        const voice = entry.voice_note
          ? fill(gettext('%(voice)s (fallback voice)'), { voice: entry.voice_used })
          : entry.voice_used;
        const facts = [
          when,
          entry.duration_text || '?',
          entry.renderer_label,
          fill(gettext('renderer %(renderer)s'), { renderer: entry.renderer_used }),
          fill(gettext('voice %(voice)s'), { voice }),
        ].join(' · ');
        const item = element(
          'li',
          { 'data-job-id': entry.job_id },
          entry.poster_url ? element('img', { src: entry.poster_url, alt: '' }) : null,
          element('a', { href: entry.video_url, target: '_blank', rel: 'noopener' }, facts),
        );
        // The job's formats stay together under it: each with its poster, a link to watch and a download.
        if (entry.renditions.length) item.append(this.historyRenditions(entry));
        item.append(this.spokenScript(entry, false));
        if (entry.is_current) {
          item.append(element('span', { class: 'w-status w-status--primary' }, gettext('Live on the page')));
        } else if (entry.waits_for_publish) {
          item.append(element('span', { class: 'w-status' }, gettext('Goes live when the page is published')));
        }
        // Making a video live changes the live page: it takes the right to publish the page.
        if (!entry.is_current && this.canPublishValue) {
          const button = element('button', { type: 'button', class: 'button button-small button-secondary' }, gettext('Make live'));
          button.addEventListener('click', () => this.makeCurrent(entry.job_id));
          item.append(button);
        }
        return item;
      });
      if (!items.length) items.push(element('li', { class: 'help-block' }, gettext('No finished videos yet.')));
      this.historyTarget.replaceChildren(...items);
    }

    historyRenditions(entry) {
      const links = entry.renditions.map((rendition) => element(
        'li',
        { 'data-format': rendition.format },
        rendition.poster_url ? element('img', { src: rendition.poster_url, alt: '' }) : null,
        element('a', { href: rendition.url, target: '_blank', rel: 'noopener' }, `${rendition.label} · ${rendition.width}×${rendition.height}`),
        element('a', { href: rendition.url, download: '', class: 'button button-small button-secondary' }, icon('download'), ` ${fill(gettext('%(aspect)s MP4'), { aspect: rendition.aspect })}`),
      ));
      return element('ul', { class: 'aivideo-panel__history-renditions', 'aria-label': fill(gettext('Formats of %(layout)s'), { layout: entry.layout_label }) }, ...links);
    }

    // The runners' voices as [language, voices] groups, the page's language first, then the others as sent.
    static voiceGroups(voices, pageLanguage) {
      const groups = Object.entries(voices || {});
      return [
        ...groups.filter(([language]) => language === pageLanguage),
        ...groups.filter(([language]) => language !== pageLanguage),
      ];
    }

    renderVoices(runner) {
      const signature = JSON.stringify([runner.online, runner.voices]);
      if (signature === this.voicesShown) return;
      this.voicesShown = signature;
      const chosen = this.voiceTarget.value;
      const pageLanguage = this.pageLanguageValue;
      const defaultLabel = this.defaultVoiceValue
        ? fill(gettext('Default for this page (%(voice)s)'), { voice: this.defaultVoiceValue })
        : fill(gettext("No default voice speaks this page's language (%(language)s): choose one"), { language: pageLanguage });
      const options = [element('option', { value: '' }, defaultLabel)];
      VideoPanelController.voiceGroups(runner.voices, pageLanguage).forEach(([language, voices]) => {
        const label = language === pageLanguage ? fill(gettext("%(language)s (this page's language)"), { language }) : language;
        const group = element('optgroup', { label });
        voices.forEach((voice) => group.append(element('option', { value: voice, selected: voice === chosen ? 'selected' : null }, voice)));
        options.push(group);
      });
      this.voiceTarget.replaceChildren(...options);
      this.voiceHelpTarget.textContent = runner.online
        ? fill(gettext("Only voices an online runner can speak are listed, this page's language (%(language)s) first."), { language: pageLanguage })
        : gettext("No runner is online, so no voices can be offered; the page's default voice will be used.");
    }

    // The voice a job would get now: the one picked, else the page's default.
    chosenVoice() {
      return this.voiceTarget.value || this.defaultVoiceValue;
    }

    generateLabel(job) {
      if (this.face && !this.face.usable && !this.faceConfirmed && this.face.verdict !== 'unavailable') return gettext('Generate anyway');
      if (job && job.status === 'failed') return gettext('Retry');
      if (job && job.status === 'succeeded') return gettext('Regenerate video');
      return gettext('Generate video');
    }

    // --- script -----------------------------------------------------------------------------------------

    // The longest script the chosen voice gets in the page's language (script_limit() in speech_time.py).
    scriptLimit() {
      return scriptLimit(this.speakingRatesValue, this.chosenVoice(), this.pageLanguageValue, this.maxCharsValue);
    }

    countScript() {
      const text = this.scriptTarget.value.trim();
      const rate = speakingRate(this.speakingRatesValue, this.chosenVoice(), this.pageLanguageValue);
      const spoken = durationText(spokenSeconds(text, rate, this.speakingRatesValue.digit_letters));
      const limit = this.scriptLimit();
      const over = text.length > limit;
      this.scriptCountTarget.textContent = over
        ? fill(gettext('%(count)s / %(limit)s characters: too long by %(over)s. Shorten the script to generate.'), { count: text.length, limit, over: text.length - limit })
        : fill(gettext('%(count)s / %(limit)s characters · about %(spoken)s spoken'), { count: text.length, limit, spoken });
      this.scriptCountTarget.classList.toggle('help-critical', over);
      return !over;
    }

    async writeScript() {
      try {
        const url = `${this.url('script')}?tone=${encodeURIComponent(this.toneTarget.value)}`;
        const body = await this.request(url);
        this.scriptTarget.value = body.script;
        this.countScript();
        this.showError('');
      } catch (error) {
        this.showError(error.message);
      }
    }

    // --- voice preview ----------------------------------------------------------------------------------

    voiceChanged() {
      this.countScript(); // voices speak at different rates
      // A preview of the previous voice must not be taken for the new one.
      clearTimeout(this.previewTimer);
      this.previewTarget.hidden = true;
      this.previewAudioTarget.removeAttribute('src');
      this.previewButtonTarget.disabled = false;
    }

    previewVoice() {
      clearTimeout(this.previewTimer);
      this.previewButtonTarget.disabled = true;
      this.previewTarget.hidden = false;
      this.previewAudioTarget.hidden = true;
      this.previewHelpTarget.className = 'help-block';
      this.previewHelpTarget.textContent = gettext('Asking a runner to voice a sample…');
      this.askForPreview(this.chosenVoice(), PREVIEW_TRIES);
    }

    async askForPreview(voice, triesLeft) {
      try {
        const body = await this.request(this.url('voicePreview'), { method: 'POST', body: JSON.stringify({ voice }) });
        if (voice !== this.chosenVoice()) return; // the editor picked another voice meanwhile
        if (body.ready) {
          this.showPreview(body);
        } else if (triesLeft > 1) {
          this.previewTimer = setTimeout(() => this.askForPreview(voice, triesLeft - 1), PREVIEW_POLL_MS);
        } else {
          this.previewFailed(gettext('No runner voiced the sample in time; the runners may be busy. Try again in a minute.'));
        }
      } catch (error) {
        this.previewFailed(error.message);
      }
    }

    showPreview(preview) {
      const audio = this.previewAudioTarget;
      audio.src = preview.audio_url;
      audio.hidden = false;
      this.previewButtonTarget.disabled = false;
      if (preview.is_fallback) {
        this.previewHelpTarget.className = 'help-block help-warning';
        this.previewHelpTarget.textContent = preview.fallback_note;
      } else {
        this.previewHelpTarget.className = 'help-block';
        this.previewHelpTarget.textContent = `${preview.voice_used}: "${preview.sample}"`;
      }
      // The editor clicked for this, but browsers may still refuse playback that starts after a network
      // wait; the visible controls then let them press play.
      audio.play().catch(() => {});
    }

    previewFailed(message) {
      this.previewButtonTarget.disabled = false;
      this.previewHelpTarget.className = 'help-block help-critical';
      this.previewHelpTarget.textContent = message;
    }

    // --- presenter face check ---------------------------------------------------------------------------

    async checkFace() {
      this.face = null;
      this.faceConfirmed = false;
      const imageId = this.presenterInput && this.presenterInput.value;
      if (!imageId) {
        this.faceCheckTarget.textContent = gettext('No image chosen: the organization default presenter is used.');
        return;
      }
      this.faceCheckTarget.textContent = gettext('Checking the face…');
      try {
        this.face = await this.request(`${this.url('faceCheck')}?image_id=${encodeURIComponent(imageId)}`);
        this.faceCheckTarget.textContent = this.face.message;
        this.faceCheckTarget.className = `help-block ${this.face.usable ? 'help-info' : 'help-warning'}`;
        // A face check that also names the photo's presenter refreshes whose face it is and their consent.
        if (this.face.presenter) this.showPresenterStanding(this.face.presenter);
      } catch (error) {
        this.faceCheckTarget.textContent = error.message;
      }
      if (this.state) this.generateLabelTarget.textContent = this.generateLabel(this.state.job);
    }

    // --- whose face, and their consent --------------------------------------------------------------------

    // ``standing`` null: the photo changed and its presenter is not known here; the server checks on Generate.
    showPresenterStanding(standing) {
      this.standing = standing;
      this.standingConfirmed = false;
      if (!this.hasPresenterStandingTarget) return;
      const target = this.presenterStandingTarget;
      if (!standing) {
        target.dataset.status = 'unknown';
        target.replaceChildren(element('p', { class: 'help-block' },
          gettext('Whether this photo is a presenter with consent is checked when you generate.')));
        return;
      }
      target.dataset.status = standing.status;
      // "Presenter %(name)s: " with the name in bold: the sentence is translated whole, then split at the name.
      const [before, after] = gettext('Presenter %(name)s: ').split('%(name)s');
      const name = standing.presenter_name
        ? [before, element('strong', { 'data-field': 'name' }, standing.presenter_name), after ?? ': ']
        : [];
      if (standing.usable) {
        target.replaceChildren(element('p', { class: 'help-block help-info' }, icon('user'), ' ', ...name,
          element('span', { 'data-field': 'label' }, standing.label), '.'));
      } else {
        target.replaceChildren(element('p', { class: 'help-block help-critical', role: 'alert' }, icon('warning'), ' ',
          ...name, element('strong', { 'data-field': 'label' }, standing.label), '. ',
          element('span', { 'data-field': 'reason' }, standing.reason)));
      }
    }

    // --- layout, formats and their preview ---------------------------------------------------------------

    chosenLayout() {
      const checked = this.layoutTargets.find((input) => input.checked);
      return checked ? checked.value : this.layoutDefaultsValue.layout;
    }

    chosenFormats() {
      return this.formatTargets.filter((input) => input.checked).map((input) => input.value);
    }

    // A new layout brings its own formats and captions (social: vertical, captions burned in), unless the
    // editor has already chosen those; the organization's layout brings the organization's own defaults.
    layoutChanged() {
      // A layout the server did not offer has no defaults here; the server names the valid ones.
      const defaults = this.layoutDefaultsValue.by_layout[this.chosenLayout()];
      if (defaults && !this.formatsTouched) {
        this.formatTargets.forEach((input) => { input.checked = defaults.formats.includes(input.value); });
      }
      if (defaults && !this.captionsTouched) this.burnCaptionsTarget.checked = defaults.burn_captions;
      this.formatsChanged({ initial: true });
    }

    formatsChanged(event) {
      if (!(event && event.initial)) this.formatsTouched = true;
      const chosen = this.chosenFormats();
      const previewed = this.previewFormatTarget.value;
      // The format just ticked is the one the editor wants to see.
      const ticked = event && event.target && event.target.checked ? event.target.value : null;
      const options = this.formatTargets.filter((input) => input.checked).map((input) => {
        const label = input.closest('label').textContent.replace(/\s+/g, ' ').trim();
        return element('option', { value: input.value }, label);
      });
      this.previewFormatTarget.replaceChildren(...options);
      const keep = ticked || (chosen.includes(previewed) ? previewed : chosen[0]);
      if (keep) this.previewFormatTarget.value = keep;
      this.scheduleLayoutPreview();
    }

    captionsChanged() {
      this.captionsTouched = true;
      this.scheduleLayoutPreview();
    }

    scheduleLayoutPreview() {
      if (!this.hasLayoutPreviewTarget) return;
      clearTimeout(this.layoutPreviewTimer);
      this.layoutPreviewTimer = setTimeout(() => this.refreshLayoutPreview(), LAYOUT_PREVIEW_DEBOUNCE_MS);
    }

    async refreshLayoutPreview() {
      clearTimeout(this.layoutPreviewTimer);
      const format = this.previewFormatTarget.value;
      const figure = this.layoutPreviewTarget;
      if (!format) {
        figure.dataset.state = 'empty';
        this.layoutPreviewImageTarget.hidden = true;
        this.layoutPreviewHelpTarget.textContent = gettext('Choose at least one format.');
        return;
      }
      const layout = this.chosenLayout();
      const query = new URLSearchParams({ layout, format, burn_captions: String(this.burnCaptionsTarget.checked) });
      if (this.presenterInput && this.presenterInput.value) query.set('image_id', this.presenterInput.value);
      // Answers may arrive out of order; only the latest request's picture is shown.
      this.layoutPreviewSequence += 1;
      const sequence = this.layoutPreviewSequence;
      figure.dataset.state = 'loading';
      this.layoutPreviewHelpTarget.className = 'help-block';
      this.layoutPreviewHelpTarget.textContent = gettext('Drawing the preview…');
      try {
        const response = await fetch(`${this.url('layoutPreview')}?${query}`, { credentials: 'same-origin' });
        if (!response.ok) {
          const body = await response.json().catch(() => ({}));
          throw new Error(body.error || fill(gettext('The preview could not be drawn (%(status)s).'), { status: response.status }));
        }
        const picture = await response.blob();
        if (sequence !== this.layoutPreviewSequence) return;
        if (this.layoutPreviewUrl) URL.revokeObjectURL(this.layoutPreviewUrl);
        this.layoutPreviewUrl = URL.createObjectURL(picture);
        const image = this.layoutPreviewImageTarget;
        image.hidden = false;
        image.alt = fill(gettext('Preview of the %(layout)s layout in the %(format)s format'), { layout, format });
        image.src = this.layoutPreviewUrl;
        await image.decode().catch(() => {});
        if (sequence !== this.layoutPreviewSequence) return;
        figure.dataset.state = 'ready';
        figure.dataset.shows = `${layout}/${format}`;
        // Set when the job would fall back, e.g. to the presenter layout on a page without a product picture.
        // Percent-encoded by the server: a header carries Latin-1 only, and the note is in the editor's language.
        const note = decodeURIComponent(response.headers.get('X-Layout-Note') || '');
        this.layoutPreviewHelpTarget.className = note ? 'help-block help-warning' : 'help-block';
        this.layoutPreviewHelpTarget.textContent = note;
      } catch (error) {
        if (sequence !== this.layoutPreviewSequence) return;
        figure.dataset.state = 'error';
        this.layoutPreviewHelpTarget.className = 'help-block help-critical';
        this.layoutPreviewHelpTarget.textContent = error.message;
      }
    }

    // --- actions ----------------------------------------------------------------------------------------

    async generate() {
      if (!this.countScript()) {
        this.showError(fill(gettext('The script is longer than %(limit)s characters; shorten it first.'), { limit: this.scriptLimit() }));
        return;
      }
      if (this.face && !this.face.usable && this.face.verdict !== 'unavailable' && !this.faceConfirmed) {
        this.faceConfirmed = true;
        this.showError(`${this.face.message} ${gettext('Click "Generate anyway" to queue it regardless.')}`);
        return;
      }
      // The job would fail with this reason; say it first, and let a second click ask the server anyway (the
      // consent may have been recorded since the panel loaded).
      if (this.standing && !this.standing.usable && !this.standingConfirmed) {
        this.standingConfirmed = true;
        this.showError(`${this.standing.label}. ${this.standing.reason} ${gettext('Click again to generate regardless.')}`);
        return;
      }
      const formats = this.chosenFormats();
      if (!formats.length) {
        this.showError(gettext('Choose at least one format for the finished video.'));
        return;
      }
      this.generateTarget.disabled = true;
      this.showError('');
      const payload = {
        script: this.scriptTarget.value,
        voice: this.voiceTarget.value,
        image_id: this.presenterInput ? this.presenterInput.value : '',
        layout: this.chosenLayout(),
        formats,
        burn_captions: this.burnCaptionsTarget.checked,
      };
      try {
        const body = await this.request(this.url('generate'), { method: 'POST', body: JSON.stringify(payload) });
        this.render({ ...this.state, job: body.job });
        // The queue length and runner line changed too: refresh them now rather than at the next poll.
        this.poll();
      } catch (error) {
        this.showError(error.message);
        this.generateTarget.disabled = false;
      }
    }

    async cancel() {
      const { job } = this.state;
      if (!job) return;
      this.cancelTarget.disabled = true;
      try {
        const body = await this.request(this.url('cancel', job.job_id), { method: 'POST', body: '{}' });
        if (!body.runner_told) this.showError(gettext('Cancelled here, but the runner could not be told; it may finish the video anyway.'));
        this.render({ ...this.state, job: body.job });
      } catch (error) {
        this.showError(error.message);
      } finally {
        this.cancelTarget.disabled = false;
      }
    }

    async makeCurrent(jobId) {
      try {
        this.render(await this.request(this.url('current', jobId), { method: 'POST', body: '{}' }));
      } catch (error) {
        this.showError(error.message);
      }
    }
  }

  window.wagtail.app.register('aivideo-panel', VideoPanelController);
})();
