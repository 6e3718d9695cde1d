/* The API's ReDoc page (common/api/docs.py) loads nothing from outside this site.

   ReDoc 2 always shows Redocly's logo under its sidebar, as an <img> loaded from
   Redocly's own servers; no option turns it off. The
   Content-Security-Policy (img-src 'self' data:) blocks it, which the browser reports as a
   violation on every visit. This file runs before ReDoc and keeps any image from being
   pointed at another site: such an image is hidden and never requested (the
   "API docs by Redocly" link beside it stays). Images from this site, data: and blob:
   URLs load as usual. */
(function () {
  "use strict";

  function outside(value) {
    var url;
    try {
      url = new URL(String(value), document.baseURI);
    } catch (error) {
      return false;
    }
    return url.protocol !== "data:" && url.protocol !== "blob:" && url.origin !== window.location.origin;
  }

  var setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    if (this instanceof HTMLImageElement && /^src(set)?$/i.test(String(name)) && outside(value)) {
      this.hidden = true;
      return undefined;
    }
    return setAttribute.call(this, name, value);
  };

  var src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    configurable: true,
    enumerable: src.enumerable,
    get: src.get,
    set: function (value) {
      if (outside(value)) {
        this.hidden = true;
        return;
      }
      src.set.call(this, value);
    },
  });
})();
