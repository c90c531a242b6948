/* Passkeys (WebAuthn): each element with data-passkey="register|login|reauth" becomes a working button when the
   browser has WebAuthn. It asks the server for options (data-options-url), lets the phone create or use the
   passkey, sends the answer (data-verify-url) and follows the redirect the server gives. Without script or WebAuthn
   the buttons stay hidden and the password form is the way in. Messages come from data-passkey-messages. */
(function () {
  "use strict";

  if (!window.PublicKeyCredential || !window.fetch || !navigator.credentials) return;

  function toBytes(text) {
    var padded = text.replace(/-/g, "+").replace(/_/g, "/");
    while (padded.length % 4) padded += "=";
    var raw = atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) bytes[i] = raw.charCodeAt(i);
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i += 1) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; } catch (e) { return ""; }
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (!response.ok) throw new Error(json.error || "");
        return json;
      });
    });
  }

  function creationOptions(json) {
    json.challenge = toBytes(json.challenge);
    json.user.id = toBytes(json.user.id);
    (json.excludeCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
    return { publicKey: json };
  }

  function requestOptions(json) {
    json.challenge = toBytes(json.challenge);
    (json.allowCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
    return { publicKey: json };
  }

  function encoded(credential) {
    var response = credential.response;
    var out = { id: credential.id, rawId: toText(credential.rawId), type: credential.type,
                clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
                response: { clientDataJSON: toText(response.clientDataJSON) } };
    if (response.attestationObject) {
      out.response.attestationObject = toText(response.attestationObject);
      out.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      out.response.authenticatorData = toText(response.authenticatorData);
      out.response.signature = toText(response.signature);
      out.response.userHandle = response.userHandle ? toText(response.userHandle) : null;
    }
    if (credential.authenticatorAttachment) out.authenticatorAttachment = credential.authenticatorAttachment;
    return out;
  }

  function setUp(button) {
    var kind = button.getAttribute("data-passkey");
    var messages = JSON.parse(button.getAttribute("data-passkey-messages") || "{}");
    var status = document.getElementById(button.getAttribute("aria-describedby") || "") || null;
    function say(text) { if (status) status.textContent = text || ""; }
    button.hidden = false;
    button.addEventListener("click", function (event) {
      event.preventDefault();
      button.disabled = true;
      say(messages.waiting);
      post(button.getAttribute("data-options-url"))
        .then(function (json) {
          return kind === "register" ? navigator.credentials.create(creationOptions(json))
                                     : navigator.credentials.get(requestOptions(json));
        })
        .then(function (credential) {
          var nameField = document.getElementById(button.getAttribute("data-name-field") || "");
          return post(button.getAttribute("data-verify-url"), {
            credential: encoded(credential), name: nameField ? nameField.value : "",
            next: button.getAttribute("data-next") || ""
          });
        })
        .then(function (json) { window.location.assign(json.redirect); })
        .catch(function (error) {
          button.disabled = false;
          say((error && error.name === "NotAllowedError") ? messages.cancelled : (error && error.message) || messages.failed);
        });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-passkey]"), setUp);
})();
