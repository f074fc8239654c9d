/*
 * The portal's chat widget: rasa-webchat (window.WebChat, from /static/vendor/rasa-webchat.js) talking
 * Socket.IO to the assistant (bot/channels/socketio.py), bound to the portal's chat token.
 *
 * The page gets a short-lived chat token from the portal (POST data-token-url with the cookie session and
 * the X-CSRF-Token header) and gives it to rasa-webchat as customData.token, which the widget sends with
 * every message. The token is renewed before it expires, and whenever the assistant asks for it
 * (`token_request` when a session starts, `token_expired` when a message came with an expired token), by
 * changing that same customData object in place: rasa-webchat keeps a reference to it, not a copy.
 * The assistant's questions arrive as socket.io events with an acknowledgement, answered with {token}.
 */
(function () {
  "use strict";

  // The conversation this tab talks in, so that every page continues it (renewing its token).
  var CONVERSATION_KEY = "portal.chat.conversation";
  // rasa-webchat 1.0.1 keeps the transcript here (params.storage "session" = sessionStorage).
  var WIDGET_STORAGE_KEY = "chat_session";
  var RENEW_BEFORE_EXPIRY_S = 60;
  var MIN_RENEW_DELAY_S = 10;
  var TEXTS = {
    nl: {
      title: "Digitale assistent",
      subtitle: "Werkgeversportaal",
      hint: "Typ een bericht...",
      connecting: "Verbinden met de assistent...",
      // Plain text on purpose: the assistant reads a leading "/" as text, not as an intent.
      greeting: "Hallo",
      unavailable: "De assistent is nu niet bereikbaar. Vernieuw de pagina.",
    },
    en: {
      title: "Digital assistant",
      subtitle: "Employer portal",
      hint: "Type a message...",
      connecting: "Connecting to the assistant...",
      greeting: "Hello",
      unavailable: "The assistant cannot be reached right now. Please refresh the page.",
    },
  };

  function TokenError(status) {
    this.name = "TokenError";
    this.status = status;
    this.message = "chat token request failed with status " + status;
  }
  TokenError.prototype = Object.create(Error.prototype);

  function storageGet(key) {
    try {
      return window.sessionStorage.getItem(key);
    } catch (e) {
      return null; // storage disabled: every page starts a new conversation
    }
  }

  function storageSet(key, value) {
    try {
      window.sessionStorage.setItem(key, value);
    } catch (e) {
      /* storage disabled */
    }
  }

  function storageRemove(key) {
    try {
      window.sessionStorage.removeItem(key);
    } catch (e) {
      /* storage disabled */
    }
  }

  function ChatSession(element) {
    this.element = element;
    this.tokenUrl = element.getAttribute("data-token-url");
    this.csrf = element.getAttribute("data-csrf");
    this.socketUrl = element.getAttribute("data-socket-url");
    this.language = element.getAttribute("data-language") === "en" ? "en" : "nl";
    this.texts = TEXTS[this.language];
    // The object rasa-webchat sends as customData: only ever changed in place.
    this.customData = { token: null };
    this.conversationId = null;
    this.expiresAt = 0;
    this.pending = null;
    this.timer = null;
    this.notice = null;
  }

  /* One POST to the portal: a new conversation, or a renewed token for `conversationId`. */
  ChatSession.prototype.request = function (conversationId) {
    return window
      .fetch(this.tokenUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          Accept: "application/json",
          "Content-Type": "application/json",
          "X-CSRF-Token": this.csrf,
        },
        body: JSON.stringify(conversationId ? { conversation_id: conversationId } : {}),
      })
      .then(function (response) {
        if (!response.ok) {
          throw new TokenError(response.status);
        }
        return response.json();
      });
  };

  /* A token for this tab's conversation; a new conversation when that one is not the user's (404). */
  ChatSession.prototype.obtain = function (conversationId) {
    var self = this;
    return this.request(conversationId).catch(function (error) {
      if (conversationId && error instanceof TokenError && error.status === 404) {
        return self.request(null);
      }
      throw error;
    });
  };

  ChatSession.prototype.accept = function (issued) {
    this.customData.token = issued.token;
    this.conversationId = issued.conversation_id;
    this.expiresAt = Date.now() + issued.expires_in * 1000;
    storageSet(CONVERSATION_KEY, issued.conversation_id);
    this.schedule(issued.expires_in);
    return issued.token;
  };

  ChatSession.prototype.schedule = function (expiresIn) {
    var self = this;
    var delay = Math.max(MIN_RENEW_DELAY_S, expiresIn - RENEW_BEFORE_EXPIRY_S);
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(function () {
      self.renew().catch(function () {
        /* reported when the assistant asks for the token */
      });
    }, delay * 1000);
  };

  /* A fresh token for the same conversation; concurrent callers share one request. */
  ChatSession.prototype.renew = function () {
    var self = this;
    if (!this.pending) {
      this.pending = this.obtain(this.conversationId)
        .then(function (issued) {
          return self.accept(issued);
        })
        .finally(function () {
          self.pending = null;
        });
    }
    return this.pending;
  };

  /* The current token if it is still good for a while, otherwise a renewed one. */
  ChatSession.prototype.current = function () {
    if (this.customData.token && this.expiresAt - Date.now() > RENEW_BEFORE_EXPIRY_S * 1000) {
      return Promise.resolve(this.customData.token);
    }
    return this.renew();
  };

  ChatSession.prototype.showNotice = function (message) {
    if (!this.notice) {
      this.notice = document.createElement("div");
      this.notice.className = "chat-notice";
      this.notice.setAttribute("role", "status");
      this.notice.setAttribute("aria-live", "polite");
      this.element.appendChild(this.notice);
    }
    this.notice.textContent = message;
    this.notice.hidden = false;
  };

  ChatSession.prototype.hideNotice = function () {
    if (this.notice) {
      this.notice.hidden = true;
    }
  };

  /* Answers the assistant's acknowledgement with {token}, or with nothing when there is none. */
  function answer(ack, promise) {
    if (typeof ack !== "function") {
      return;
    }
    promise.then(
      function (token) {
        ack({ token: token });
      },
      function () {
        ack({});
      }
    );
  }

  ChatSession.prototype.socketEvents = function () {
    var self = this;
    return {
      token_request: function (_data, ack) {
        answer(ack, self.current());
      },
      token_expired: function (data, ack) {
        self.showNotice((data && data.message) || "");
        var renewed = self.renew();
        renewed.then(
          function () {
            self.hideNotice();
          },
          function () {
            self.showNotice(self.texts.unavailable);
          }
        );
        answer(ack, renewed);
      },
      error: function (data) {
        self.showNotice((data && data.message) || self.texts.unavailable);
      },
      // For styles and tests: the widget is usable once the assistant confirmed the conversation.
      // (Safe to listen to with withRules: false; with rules, rasa-webchat uses this slot itself.)
      session_confirm: function () {
        self.element.setAttribute("data-chat-state", "connected");
      },
      disconnect: function () {
        self.element.setAttribute("data-chat-state", "disconnected");
      },
    };
  };

  ChatSession.prototype.boot = function () {
    var mount = document.createElement("div");
    mount.className = "chat-widget-mount";
    this.element.appendChild(mount);
    window.WebChat.default(
      {
        socketUrl: this.socketUrl,
        socketPath: "/socket.io/",
        customData: this.customData,
        initPayload: this.texts.greeting,
        title: this.texts.title,
        subtitle: this.texts.subtitle,
        inputTextFieldHint: this.texts.hint,
        connectingText: this.texts.connecting,
        params: { storage: "session" },
        // No rules from the server: show the widget at once instead of after the first session_confirm.
        withRules: false,
        showFullScreenButton: true,
        onSocketEvent: this.socketEvents(),
      },
      mount
    );
  };

  ChatSession.prototype.start = function () {
    var self = this;
    var stored = storageGet(CONVERSATION_KEY);
    return this.obtain(stored).then(function (issued) {
      if (issued.conversation_id !== stored) {
        // The stored transcript belongs to another conversation (perhaps another user's): never show it.
        storageRemove(WIDGET_STORAGE_KEY);
      }
      self.accept(issued);
      self.boot();
    });
  };

  function main() {
    var element = document.getElementById("chat-widget");
    if (!element) {
      return;
    }
    if (!window.WebChat || typeof window.WebChat.default !== "function") {
      // Without the widget bundle (npm packages not installed) the page works, only without chat.
      if (window.console) {
        window.console.warn("chat widget unavailable: rasa-webchat is not loaded");
      }
      return;
    }
    var session = new ChatSession(element);
    session.start().catch(function (error) {
      if (window.console) {
        window.console.warn("chat widget unavailable:", error && error.message);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", main);
  } else {
    main();
  }
})();
