/* Read each question aloud with the phone's own speech synthesis (the Web Speech API).

   Progressive enhancement: the "Listen" buttons exist only when this file runs in a browser
   with speechSynthesis; without it (or without JavaScript) nothing is added and the page works
   the same. No audio files and no third party: the words are the page's own, spoken on the
   device. The button's words come from the form's data-listen attributes, so they are
   translated with the page. Loaded as a static file (no inline script: the CSP forbids it). */
(function () {
  "use strict";
  var synth = window.speechSynthesis;
  if (!synth || typeof window.SpeechSynthesisUtterance !== "function") {
    return;
  }
  var form = document.querySelector("form[data-listen]");
  if (!form) {
    return;
  }
  var listenWords = form.getAttribute("data-listen");
  var stopWords = form.getAttribute("data-listen-stop") || listenWords;
  var language = document.documentElement.getAttribute("lang") || "en-GB";
  var speaking = null;

  function textOf(element) {
    return element ? element.textContent.replace(/\s+/g, " ").trim() : "";
  }

  function wordsOf(fieldset) {
    var parts = [textOf(fieldset.querySelector("legend"))];
    var hint = fieldset.querySelector(".nhsuk-hint");
    if (hint) {
      parts.push(textOf(hint));
    }
    var labels = fieldset.querySelectorAll(".nhsuk-radios__label");
    for (var i = 0; i < labels.length; i++) {
      parts.push(textOf(labels[i]));
    }
    return parts.filter(Boolean).join(". ");
  }

  function stopped() {
    if (speaking) {
      speaking.textContent = listenWords;
      speaking = null;
    }
  }

  var fieldsets = form.querySelectorAll("fieldset");
  for (var i = 0; i < fieldsets.length; i++) {
    (function (fieldset) {
      var legend = fieldset.querySelector("legend");
      if (!legend) {
        return;
      }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "proms-listen";
      button.textContent = listenWords;
      if (legend.id) {
        button.setAttribute("aria-describedby", legend.id);
      }
      button.addEventListener("click", function () {
        var again = speaking === button;
        synth.cancel();
        stopped();
        if (again) {
          return; // a second press stops it
        }
        var utterance = new window.SpeechSynthesisUtterance(wordsOf(fieldset));
        utterance.lang = language;
        utterance.rate = 0.9; // a little slower than the default, for clarity
        utterance.onend = utterance.onerror = function () {
          if (speaking === button) {
            stopped();
          }
        };
        speaking = button;
        button.textContent = stopWords;
        synth.speak(utterance);
      });
      legend.parentNode.insertBefore(button, legend.nextSibling);
    })(fieldsets[i]);
  }
  window.addEventListener("pagehide", function () {
    synth.cancel();
  });
})();
