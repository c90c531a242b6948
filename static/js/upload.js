/* The export upload (templates/data_imports/index.html): the file goes in chunks, each written at the offset the
   server holds, so a dropped connection costs one chunk. Choosing the same file again later (same name, size and
   date) resumes the unfinished upload. Without this script the form sends the file whole. */
(function () {
  "use strict";

  var CHUNK = 8 * 1024 * 1024;
  var RETRIES = 8;
  var form = document.getElementById("upload-form");
  if (!form || !window.fetch || !window.Blob || !Blob.prototype.slice) return;
  var input = form.querySelector("input[type=file]");
  var messages = JSON.parse(form.getAttribute("data-upload-messages") || "{}");
  var box = document.getElementById("upload-progress");
  var bar = document.getElementById("upload-bar");
  var status = document.getElementById("upload-status");
  var button = document.getElementById("upload-button");
  var token = form.querySelector("input[name=csrf_token]").value;

  function say(text) { status.textContent = text; }

  function show(offset, size) {
    var percent = size ? Math.floor((100 * offset) / size) : 0;
    bar.value = percent;
    bar.textContent = percent + "%";
    say((messages.uploading || "{percent}").replace("{percent}", percent + "%"));
  }

  function storageKey(file) {
    return "azukari-upload:" + file.name + ":" + file.size + ":" + file.lastModified;
  }

  function remembered(file) {
    try { return JSON.parse(window.localStorage.getItem(storageKey(file)) || "null"); } catch (e) { return null; }
  }

  function remember(file, state) {
    try {
      if (state) window.localStorage.setItem(storageKey(file), JSON.stringify(state));
      else window.localStorage.removeItem(storageKey(file));
    } catch (e) { /* private mode: no resuming after a reload, the upload itself still works */ }
  }

  function request(method, url, body, headers) {
    var all = { "Accept": "application/json", "X-CSRFToken": token };
    Object.keys(headers || {}).forEach(function (k) { all[k] = headers[k]; });
    return fetch(url, { method: method, body: body, headers: all, credentials: "same-origin" }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        return { status: response.status, ok: response.ok, json: json };
      });
    });
  }

  function wait(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  function start(file) {
    var known = remembered(file);
    var resume = known ? request("GET", known.upload_url).then(function (r) {
      return r.ok && r.json.status === "uploading" ? r.json : null;
    }).catch(function () { return null; }) : Promise.resolve(null);
    return resume.then(function (state) {
      if (state) { say(messages.resumed || ""); return state; }
      var data = new FormData();
      data.append("csrf_token", token);
      data.append("filename", file.name);
      data.append("size", String(file.size));
      var sensitive = form.querySelector("input[name=keep_sensitive]");
      if (sensitive && sensitive.checked) data.append("keep_sensitive", "y");
      return request("POST", form.action, data).then(function (r) {
        if (!r.ok) throw new Error(r.json.error || messages.failed);
        remember(file, { upload_url: r.json.upload_url, page_url: r.json.page_url });
        return r.json;
      });
    });
  }

  function send(file, state) {
    var offset = state.offset;
    var failures = 0;
    function next() {
      show(offset, file.size);
      if (offset >= file.size) return Promise.resolve(state);
      var end = Math.min(offset + CHUNK, file.size);
      return request("PATCH", state.upload_url, file.slice(offset, end),
                     { "Upload-Offset": String(offset), "Content-Type": "application/offset+octet-stream" })
        .then(function (r) {
          if (r.ok) { failures = 0; offset = r.json.offset; state = r.json; return next(); }
          if (r.status === 409 && typeof r.json.offset === "number") { offset = r.json.offset; return next(); }
          if (r.status >= 500 || r.status === 429) throw new Error("retry");
          var refused = new Error(r.json.error || messages.failed);
          refused.final = true;
          throw refused;
        })
        .catch(function (error) {
          if (error.final || failures >= RETRIES) throw error;
          failures += 1;
          say(messages.paused || "");
          // The server's offset is the truth after a drop: ask for it, then go on from there.
          return wait(Math.min(30000, 1000 * Math.pow(2, failures - 1))).then(function () {
            return request("GET", state.upload_url).then(function (r) {
              if (r.ok) { offset = r.json.offset; state = r.json; }
              return next();
            }, function () { return next(); });
          });
        });
    }
    return next();
  }

  form.addEventListener("submit", function (event) {
    var file = input && input.files && input.files[0];
    if (!file) return; // the server says what is missing
    event.preventDefault();
    button.disabled = true;
    box.hidden = false;
    start(file)
      .then(function (state) { return send(file, state); })
      .then(function (state) {
        remember(file, null);
        say(messages.done || "");
        window.location.assign(state.page_url);
      })
      .catch(function (error) {
        say(error && error.message && error.message !== "retry" ? error.message : (messages.failed || ""));
        button.disabled = false;
      });
  });
})();
