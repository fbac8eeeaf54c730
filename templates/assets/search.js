// The search page: Pagefind's index, searched in the browser, results in our own markup.
// Loaded only by otsing/ (templates/search.html); no styles are injected (CSP style-src 'self').
'use strict';

(function () {
  const script = document.currentScript;
  const form = document.querySelector('form.search');
  const input = document.getElementById('otsingusona');
  const status = document.getElementById('otsingu-olek');
  const list = document.getElementById('otsingu-tulemused');
  if (!script || !form || !input || !status || !list) return;
  const indexUrl = script.dataset.index;
  let engine = null;

  function say(text) {
    status.textContent = text;
  }

  function found(n, query) {
    if (n === 0) return `Otsingule „${query}“ ei leitud midagi.`;
    return n === 1 ? `Leiti 1 tulemus otsingule „${query}“.` : `Leiti ${n} tulemust otsingule „${query}“.`;
  }

  // Pagefind's excerpt is HTML with <mark> around the hits; keep only its text and the marks.
  function excerpt(html) {
    const p = document.createElement('p');
    const parsed = new DOMParser().parseFromString(`<p>${html}</p>`, 'text/html');
    for (const node of parsed.body.firstChild.childNodes) {
      if (node.nodeName === 'MARK') {
        const mark = document.createElement('mark');
        mark.textContent = node.textContent;
        p.append(mark);
      } else {
        p.append(node.textContent);
      }
    }
    return p;
  }

  async function load() {
    if (!engine) {
      engine = await import(indexUrl);
      await engine.init();
    }
    return engine;
  }

  async function run(query) {
    const url = new URL(location.href);
    if (query) url.searchParams.set('q', query);
    else url.searchParams.delete('q');
    history.replaceState(null, '', url);
    if (!query) {
      list.replaceChildren();
      say('Kirjuta otsingusõna, näiteks teema või programmi nimi.');
      return;
    }
    say('Otsin…');
    let search;
    try {
      search = await (await load()).debouncedSearch(query, {}, 150);
    } catch (error) {
      say('Otsing ei ole praegu saadaval. Programmid leiad ka teemade ja kuude kaupa.');
      console.warn(error);
      return;
    }
    if (search === null) return; // a newer query replaced this one
    const results = await Promise.all(search.results.slice(0, 20).map((r) => r.data()));
    list.replaceChildren(
      ...results.map((data) => {
        const item = document.createElement('li');
        const heading = document.createElement('h2');
        const link = document.createElement('a');
        link.href = data.url;
        link.textContent = data.meta.title || data.url;
        heading.append(link);
        item.append(heading, excerpt(data.excerpt));
        return item;
      }),
    );
    say(found(search.results.length, query));
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    run(input.value.trim());
  });
  input.addEventListener('input', () => run(input.value.trim()));
  const initial = new URLSearchParams(location.search).get('q') || '';
  input.value = initial;
  run(initial.trim());
})();
