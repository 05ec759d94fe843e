// Small DOM helpers: elements are built node by node, text is always textContent.

/** The element with this id (throws if the page lacks it). */
export function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`missing #${id}`);
  return element;
}

/** A new element with classes, text and attributes; never parses HTML. */
export function el(tag, { className = '', text = null, attrs = {} } = {}, ...children) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== null) element.textContent = text;
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

/** Show exactly one of the page's top-level views. */
export function showView(id) {
  for (const view of document.querySelectorAll('#room-app > section')) view.hidden = view.id !== id;
}
