/* A camera scanner: the phone's camera (getUserMedia) read frame by frame with jsQR (static/vendor/jsQR.js, from
   npm). Two uses, by the box's data-mode:
   - "pass" (the partner's page): a code that looks like a pass ("AZ…") is put in the form's code field and the form
     is sent (htmx swaps the result in). The same code is not sent twice while it stays in front of the camera: the
     first result stands. Without a camera (or without permission) the typed code works the same way.
   - "checkin" (the resident's page): a poster's code, a link to this site's /checkin/…, is opened.
   Anything else is named as "not what we look for" in the status line. */
(function () {
  "use strict";
  var box = document.querySelector("[data-scanner]");
  if (!box) return;
  var mode = box.dataset.mode || "pass";
  var form = document.getElementById("scan-form");
  if (mode === "pass" && !form) return;
  var unavailable = document.querySelector("[data-scanner-unavailable]");
  var video = box.querySelector("video");
  var status = box.querySelector("[data-scanner-status]");
  var start = box.querySelector("[data-scanner-start]");
  var stop = box.querySelector("[data-scanner-stop]");
  var input = form ? form.querySelector("input[name=code]") : null;
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var stream = null;
  var lastSent = "";

  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || typeof window.jsQR !== "function") {
    unavailable.hidden = false;
    return;
  }
  box.hidden = false;

  function say(text) { status.textContent = text || ""; }

  function isCheckIn(text) {
    try {
      var url = new URL(text);
      return url.origin === window.location.origin && url.pathname.indexOf("/checkin/") === 0;
    } catch (e) { return false; }
  }

  function tick() {
    if (!stream) return;
    if (video.readyState === video.HAVE_ENOUGH_DATA) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var image = context.getImageData(0, 0, canvas.width, canvas.height);
      var found = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      var text = found && found.data ? found.data.trim() : "";
      if (text && text !== lastSent) {
        lastSent = text;
        if (mode === "pass" && text.toUpperCase().indexOf("AZ") === 0) {
          input.value = text;
          form.requestSubmit();
        } else if (mode === "checkin" && isCheckIn(text)) {
          end();
          window.location.assign(text);
          return;
        } else {
          say(box.dataset.notOurs || "");
        }
      }
    }
    window.requestAnimationFrame(tick);
  }

  function end() {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.srcObject = null;
    start.hidden = false;
    stop.hidden = true;
  }

  start.addEventListener("click", function () {
    say(start.dataset.starting || "");
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        return video.play();
      })
      .then(function () {
        start.hidden = true;
        stop.hidden = false;
        say(start.dataset.ready || "");
        window.requestAnimationFrame(tick);
      })
      .catch(function () {
        end();
        box.hidden = true;
        unavailable.hidden = false;
      });
  });
  stop.addEventListener("click", end);

  // After each answer: the field is emptied for the next customer (the chosen event or coupon stays).
  if (form) form.addEventListener("htmx:afterRequest", function () { input.value = ""; });
  window.addEventListener("pagehide", end);
})();
