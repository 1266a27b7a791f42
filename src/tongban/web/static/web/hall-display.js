/* The hall display (叫号显示屏): polls the public calls feed every two seconds, redraws
   the table and speaks every new call (a new ticket, or a recall) in Chinese through
   the browser's speech synthesis. Browsers allow speech only after a user gesture, so
   the hall staff press "开启语音播报" once when the screen is switched on. */
(function () {
  "use strict";
  var host = document.getElementById("hall-calls");
  if (!host) { return; }
  var url = host.getAttribute("data-calls-url");
  var seen = {};
  var speaking = false;
  var first = true;
  var button = document.getElementById("hall-speech");
  if (button) {
    button.addEventListener("click", function () {
      speaking = true;
      button.disabled = true;
      button.textContent = "语音播报已开启";
      say("语音播报已开启");
    });
  }
  function say(text) {
    if (!speaking || !window.speechSynthesis) { return; }
    var utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = "zh-CN";
    utterance.rate = 0.9;
    window.speechSynthesis.speak(utterance);
  }
  function cell(text, className) {
    var td = document.createElement("td");
    td.textContent = text;
    if (className) { td.className = className; }
    return td;
  }
  function draw(calls) {
    var body = host.querySelector("tbody");
    body.textContent = "";
    calls.forEach(function (call) {
      var row = document.createElement("tr");
      row.setAttribute("data-call", call.id + "-" + call.call_count);
      row.appendChild(cell(call.code, "ticket-code"));
      row.appendChild(cell(call.window_code + " " + call.window_name));
      body.appendChild(row);
    });
    // oldest first, so that two calls in one poll are said in order
    calls.slice().reverse().forEach(function (call) {
      var key = call.id + "-" + call.call_count;
      if (!seen[key]) {
        seen[key] = true;
        if (!first) { say(call.speech); host.setAttribute("data-last-spoken", call.speech); }
      }
    });
    first = false;
  }
  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (calls) { if (calls) { draw(calls); } })
      .catch(function () { /* the next poll tries again */ })
      .finally(function () { window.setTimeout(poll, 2000); });
  }
  poll();
})();
