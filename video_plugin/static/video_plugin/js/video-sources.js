/**
 * For a page's <video data-aivideo-sources> (the `video_sources` template tag): the poster and size of the
 * source the browser plays, chosen like the source itself, by the first <source> whose media query matches
 * this viewport. A <video> has one poster attribute, which is otherwise the catch-all's.
 *
 * A browser that ignores `media` on a video's <source> plays the first one whatever the viewport; it is given
 * the matching one here instead.
 */
(() => {
  const choose = (video) => {
    const sources = [...video.querySelectorAll('source')];
    const chosen = sources.find((source) => !source.media || window.matchMedia(source.media).matches);
    if (!chosen) return;
    const { poster, width, height, captionsBurned, captions } = chosen.dataset;
    if (poster) video.poster = poster;
    if (width && height) {
      video.width = Number(width);
      video.height = Number(height);
    }
    // Captions burned into the picture would be shown twice with the track on.
    const track = video.querySelector('track[kind=captions]');
    // Each rendition has captions of its own, timed to it: an intro card delays every cue.
    if (track && captions) track.src = captions;
    if (track && captionsBurned === 'true') track.default = false;
    if (video.currentSrc && video.currentSrc !== chosen.src) {
      video.src = chosen.src;
    }
  };
  document.querySelectorAll('video[data-aivideo-sources]').forEach(choose);
})();
