// Keeps the pages' statuses fresh between builds (progressive enhancement: without this
// script the pages say what was true at the build, and the footer says as of which day).
// Programme badges carry data-start / data-end (first and last day, Tallinn time) and
// deadlines data-deadline (their last day); the wording is pages.py's.
'use strict';

(function () {
  const zone = document.currentScript?.dataset.timezone || 'Europe/Tallinn';
  // Today in the site's time zone as YYYY-MM-DD (en-CA formats dates that way).
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: zone }).format(new Date());
  const STATES = { current: 'Käimas', upcoming: 'Tulemas', past: 'Lõppenud' };
  const DAY = 86400000;

  function days(from, to) {
    return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY);
  }

  function deadlineText(lastDay) {
    const left = days(today, lastDay);
    if (left < 0) return 'Tähtaeg on möödunud';
    if (left === 0) return 'Täna on viimane päev';
    if (left === 1) return 'Homme on viimane päev';
    return `Jäänud on ${left} päeva`;
  }

  function update() {
    for (const badge of document.querySelectorAll('.badge[data-start][data-end]')) {
      const { start, end } = badge.dataset;
      const state = today < start ? 'upcoming' : today > end ? 'past' : 'current';
      if (badge.textContent === STATES[state]) continue;
      badge.classList.remove('badge-current', 'badge-upcoming', 'badge-past');
      badge.classList.add(`badge-${state}`);
      badge.textContent = STATES[state];
    }
    for (const element of document.querySelectorAll('[data-deadline]')) {
      if (!element.dataset.deadline) continue;
      const text = deadlineText(element.dataset.deadline);
      element.textContent = element.classList.contains('status') ? `(${text})` : text;
    }
    const asOf = document.querySelector('time.as-of');
    if (asOf && asOf.getAttribute('datetime') !== today) {
      asOf.parentElement.append(' Olekud on uuendatud tänase kuupäeva järgi.');
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', update);
  else update();
})();
