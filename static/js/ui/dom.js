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

/**
 * Replace a list's items without losing the keyboard's place: a list rebuilt while one
 * of its controls had focus would drop focus to <body>. Items name themselves with
 * `data-id` (or `data-ticket`), controls with `data-action`; focus returns to the same
 * control of the same item, or to the list itself when that item is gone.
 */
export function replaceKeepingFocus(list, items) {
  const focused = document.activeElement;
  const inList = focused !== list && list.contains(focused);
  const item = inList ? focused.closest('[data-id], [data-ticket]') : null;
  const action = inList ? focused.dataset.action : undefined;
  list.replaceChildren(...items);
  if (!inList) return;
  const again =
    item && action
      ? [...list.querySelectorAll('[data-action]')].find(
          (control) => control.dataset.action === action && sameItem(control.closest('[data-id], [data-ticket]'), item),
        )
      : null;
  if (again) again.focus();
  else {
    list.tabIndex = -1;
    list.focus();
  }
}

function sameItem(a, b) {
  return a !== null && a.dataset.id === b.dataset.id && a.dataset.ticket === b.dataset.ticket;
}
