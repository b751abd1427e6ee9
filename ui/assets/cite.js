/* Runs once when the sources panel loads: a [n] click in the chat opens source n in the panel. */
if (!window.__ragCites) {
  window.__ragCites = true;
  const show = (turn, n) => {
    const box = document.getElementById('turn-' + turn);
    if (!box) return;
    document.querySelectorAll('#sources .turn').forEach((t) => { t.hidden = t !== box; });
    const id = 'src-' + turn + '-' + n;
    document.querySelectorAll('#sources details.src').forEach((d) => { d.open = d.id === id; });
    const target = document.getElementById(id);
    if (target) target.scrollIntoView({ block: 'nearest' });
  };
  document.addEventListener('click', (ev) => {
    const a = ev.target.closest ? ev.target.closest('a.cite') : null;
    const m = a && /^#src-(\d+)-(\d+)$/.exec(a.getAttribute('href') || '');
    if (!m) return;
    ev.preventDefault();
    show(m[1], m[2]);
  }, true);
}
