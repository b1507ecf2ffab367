/* kubecapture: pages that contain the whole query come first in Material's search.

   Material's search splits a query into terms (its separator, TinySegmenter for
   Japanese) and lunr ORs them, so a compound such as 仮想クラスター also finds every
   page that only says クラスター, and such pages can rank above the one page that says
   仮想クラスター. This script keeps Material's results and their order, but moves the
   pages in which one section contains the query as typed (case and spacing aside) to
   the front, and that section to the front of its page's entry.

   It wraps the search worker where the page talks to it (loaded as a polyfill, after
   the iframe-worker shim used from file://): the query on its way in, the results on
   their way out. No network, no other dependency. */
(function () {
  var SETUP = 0; // Material's SearchMessageType.SETUP: the page hands the index over
  var QUERY = 2; // Material's SearchMessageType.QUERY
  var RESULT = 3; // Material's SearchMessageType.RESULT
  var Base = window.Worker;
  if (!Base) return;
  var inert = document.implementation.createHTMLDocument("");

  function normalize(text) {
    return text.replace(/[\s\u3000]+/g, " ").trim().toLowerCase();
  }
  function plain(html) {
    var div = inert.createElement("div");
    div.innerHTML = html || "";
    return div.textContent;
  }
  /* The whole text of each section, from the index the page hands the worker: a result
     carries its section's text cut short (Material shows the start of it), and the query
     may stand further on. */
  var texts = {};
  function remember(index) {
    (index && index.docs || []).forEach(function (doc) {
      texts[doc.location] = normalize(plain(doc.title) + " " + plain(doc.text));
    });
  }
  function contains(query) {
    return function (item) {
      var text = texts[item.location];
      if (text === undefined) text = normalize(plain(item.title) + " " + plain(item.text));
      return text.indexOf(query) >= 0;
    };
  }
  /* Stable partition: what passes `test` first, each part in its old order. */
  function first(list, test) {
    var yes = [], no = [];
    for (var i = 0; i < list.length; i++) (test(list[i]) ? yes : no).push(list[i]);
    return yes.concat(no);
  }
  function rank(query, result) {
    var q = normalize(String(query || ""));
    if (!q || !result || !result.items || !result.items.length) return result;
    var whole = contains(q);
    var items = result.items.map(function (group) { return first(group, whole); });
    result.items = first(items, function (group) { return group.length && whole(group[0]); });
    return result;
  }

  function RankedWorker(url, options) {
    var worker = new Base(url, options);
    if (!/workers\/search\./.test(String(url))) return worker;
    var queries = [];
    var post = worker.postMessage;
    worker.postMessage = function (message) {
      if (message && message.type === SETUP) remember(message.data);
      if (message && message.type === QUERY) queries.push(message.data);
      return post.apply(worker, arguments);
    };
    // Registered before Material's own listener, so Material reads the new order.
    worker.addEventListener("message", function (event) {
      var message = event.data;
      if (!message || message.type !== RESULT) return;
      var ranked = { type: RESULT, data: rank(queries.shift(), message.data) };
      Object.defineProperty(event, "data", { value: ranked });
    });
    return worker;
  }
  RankedWorker.prototype = Base.prototype;
  window.Worker = RankedWorker;
})();
