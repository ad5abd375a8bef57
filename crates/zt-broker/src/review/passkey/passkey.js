// zt review page: passkey enrolment and passkey-confirmed approvals (WebAuthn).
// Served by the broker as /review/assets/passkey.js: no inline script, no CDN. It asks the
// broker for options, calls navigator.credentials.create / get, and posts the answer back as
// JSON with the session's CSRF token (x-zt-csrf). Status text is set with textContent only.
(function () {
  "use strict";

  function enc(buf) {
    var bytes = new Uint8Array(buf), s = "";
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function dec(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  async function post(url, csrf, body) {
    var resp = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", "x-zt-csrf": csrf },
      body: JSON.stringify(body || {}),
    });
    var answer = null;
    try { answer = await resp.json(); } catch (e) { answer = null; }
    if (!resp.ok) {
      throw new Error((answer && answer.error) || ("the broker answered HTTP " + resp.status));
    }
    return answer;
  }

  function creationOptions(o) {
    var pk = o.publicKey;
    pk.challenge = dec(pk.challenge);
    pk.user.id = dec(pk.user.id);
    (pk.excludeCredentials || []).forEach(function (c) { c.id = dec(c.id); });
    return { publicKey: pk };
  }

  function requestOptions(o) {
    var pk = o.publicKey;
    pk.challenge = dec(pk.challenge);
    (pk.allowCredentials || []).forEach(function (c) { c.id = dec(c.id); });
    return { publicKey: pk };
  }

  function registrationJSON(c) {
    return {
      id: c.id,
      rawId: enc(c.rawId),
      type: c.type,
      response: {
        attestationObject: enc(c.response.attestationObject),
        clientDataJSON: enc(c.response.clientDataJSON),
      },
      extensions: c.getClientExtensionResults ? c.getClientExtensionResults() : {},
    };
  }

  function assertionJSON(c) {
    return {
      id: c.id,
      rawId: enc(c.rawId),
      type: c.type,
      response: {
        authenticatorData: enc(c.response.authenticatorData),
        clientDataJSON: enc(c.response.clientDataJSON),
        signature: enc(c.response.signature),
        userHandle: c.response.userHandle ? enc(c.response.userHandle) : null,
      },
      extensions: c.getClientExtensionResults ? c.getClientExtensionResults() : {},
    };
  }

  function say(text) {
    var el = document.getElementById("passkey-status");
    if (el) el.textContent = text;
  }

  // Enrol a passkey; answers the broker's JSON ({location, credential_id}).
  async function enrol(csrf) {
    var options = await post("/review/passkeys/register/start", csrf);
    var cred = await navigator.credentials.create(creationOptions(options));
    return post("/review/passkeys/register/finish", csrf, { credential: registrationJSON(cred) });
  }

  // An assertion approving request `id` under a fresh challenge, not yet sent.
  async function assertion(id, csrf) {
    var options = await post("/review/" + encodeURIComponent(id) + "/passkey/start", csrf);
    var cred = await navigator.credentials.get(requestOptions(options));
    return assertionJSON(cred);
  }

  // Send an assertion as the approval of request `id`; answers the broker's JSON ({location}).
  function approve(id, csrf, signed, comment) {
    return post("/review/" + encodeURIComponent(id) + "/passkey/approve", csrf, {
      assertion: signed,
      comment: comment || null,
    });
  }

  window.ztPasskey = { enrol: enrol, assertion: assertion, approve: approve };

  function wire() {
    if (!window.PublicKeyCredential) {
      say("This browser cannot use passkeys here (it needs WebAuthn on a secure page).");
    }
    var add = document.getElementById("passkey-enrol");
    if (add) {
      add.addEventListener("click", async function () {
        add.disabled = true;
        say("Follow your browser's prompt to create a passkey…");
        try {
          var done = await enrol(add.dataset.csrf);
          say("Passkey enrolled.");
          window.location.assign(done.location);
        } catch (e) {
          say("No passkey was enrolled: " + e.message);
          add.disabled = false;
        }
      });
    }
    var ok = document.getElementById("passkey-approve");
    if (ok) {
      ok.addEventListener("click", async function () {
        ok.disabled = true;
        say("Confirm with your passkey…");
        try {
          var id = ok.dataset.request, csrf = ok.dataset.csrf;
          var signed = await assertion(id, csrf);
          var box = document.getElementById("comment");
          var done = await approve(id, csrf, signed, box ? box.value : "");
          window.location.assign(done.location);
        } catch (e) {
          say("Not approved: " + e.message);
          ok.disabled = false;
        }
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wire);
  } else {
    wire();
  }
})();
