/*
 * mini-UPS web client: plain JavaScript, no framework, no build step, no external resources.
 *
 * Hash routes (single page, index.html):
 *   #/                 home: track by number          (index.html?tn=1Z... opens #/track/1Z...)
 *   #/track/{tn}       tracking page, live via EventSource /api/packages/{tn}/events
 *   #/login[?next=/x]  log in        #/register   register
 *   #/packages[?page=N] my packages (page is 0-based)      #/fleet   trucks
 *
 * Stable element ids for tests (Selenium):
 *   Global:   #error            global error banner (hidden when no error; text in #error-text)
 *             #user             logged-in username in the header (absent when logged out)
 *             #logout           log-out button (header, logged in only)
 *             #nav-login, #nav-register   header links when logged out
 *   Home:     #tracking-input, #track-button, #tracking-error (inline format error; no request made)
 *   Tracking: #status          status text exactly as the API sends it (also data-status)
 *             #status-detail, #live (live-update state: data-state=on|wait|off)
 *             #destination, #warehouse, #truck, #position
 *             #timeline        <ol>, one <li data-status> per history entry, oldest first
 *             #map             <svg>; markers #map-warehouse, #map-destination, #map-position,
 *                              #map-truck (the assigned truck while it comes for the package)
 *                              each with data-x / data-y (world coordinates)
 *             #not-found       shown instead for an unknown (404) or malformed tracking number
 *             #items           owner only: <li data-product-id> per item
 *             #destination-form, #dest-x, #dest-y, #change-destination (owner only)
 *             #destination-message  lock reason / result of a change ("Too late: ..." on 409)
 *   Register: #register-username, #register-password, #register-email, #register-submit,
 *             #profile-id      (shown after success: the UPS profile ID for Amazon checkout)
 *   Log in:   #login-username, #login-password, #login-submit
 *   Packages: #my-packages     container; one <tr data-tracking-number> per package
 *             #my-packages-empty (empty state), #claim-input, #claim-x, #claim-y, #claim-submit, #claim-message,
 *             #page-prev, #page-next, #page-info (only when total > size)
 *   Fleet:    #trucks          <tbody>, one <tr data-truck-id> per truck; #fleet-map, with
 *                              a <polyline id="plan-N"> per truck with stops ahead
 *
 * Every state-changing request sends "X-Requested-With: mini-ups" (CSRF guard on the server).
 */
(function () {
  'use strict';

  var TN_RE = /^1Z[0-9A-Z]{16}$/;
  var INT_RE = /^-?\d{1,9}$/;
  var SVGNS = 'http://www.w3.org/2000/svg';
  var PAGE_SIZE = 20;

  var STEPS = [
    ['created', 'Label created'],
    ['truck en route to warehouse', 'Truck dispatched'],
    ['truck waiting for package', 'Truck at warehouse'],
    ['loading', 'Loading'],
    ['out for delivery', 'Out for delivery'],
    ['delivered', 'Delivered']
  ];

  var STATUS_TEXT = {
    'created': 'We have the shipment details and are assigning a truck.',
    'truck en route to warehouse': 'A truck is on its way to the warehouse to pick up your package.',
    'truck waiting for package': 'The truck is at the warehouse, waiting for your package.',
    'loading': 'Your package is being loaded onto the truck.',
    'out for delivery': 'Your package is out for delivery.',
    'delivered': 'Your package has been delivered.',
    'exception': 'There is a problem with this delivery.'
  };

  // ---------------------------------------------------------------- state

  var me = null;            // {id, username, email} or null
  var routeGen = 0;         // bumps on every navigation; async work checks it before touching the DOM
  var cleanups = [];        // run when leaving a page (close EventSource, stop timers)

  // ---------------------------------------------------------------- DOM helpers

  function build(el, attrs, kids) {
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k.slice(0, 2) === 'on' && typeof v === 'function') el.addEventListener(k.slice(2), v);
        else if (v === true) el.setAttribute(k, '');
        else el.setAttribute(k, String(v));
      });
    }
    appendKids(el, kids);
    return el;
  }

  function appendKids(el, kids) {
    for (var i = 0; i < kids.length; i++) {
      var k = kids[i];
      if (k === null || k === undefined || k === false) continue;
      if (Array.isArray(k)) appendKids(el, k);
      else el.appendChild(k instanceof Node ? k : document.createTextNode(String(k)));
    }
  }

  function h(tag, attrs) {
    return build(document.createElement(tag), attrs, Array.prototype.slice.call(arguments, 2));
  }

  function s(tag, attrs) {
    return build(document.createElementNS(SVGNS, tag), attrs, Array.prototype.slice.call(arguments, 2));
  }

  function $(id) { return document.getElementById(id); }

  function statusClass(status) {
    return 'status-' + String(status || 'unknown').toLowerCase().replace(/[^a-z0-9]+/g, '-');
  }

  function badge(status) {
    return h('span', { 'class': 'badge ' + statusClass(status), 'data-status': status }, status || 'unknown');
  }

  function xy(p) {
    return p && typeof p.x === 'number' ? '(' + p.x + ', ' + p.y + ')' : '—';
  }

  function fmtTime(iso) {
    if (!iso) return '';
    var d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso);
    try {
      return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
    } catch (e) {
      return d.toLocaleString();
    }
  }

  function normalizeTn(v) {
    return String(v || '').trim().toUpperCase().replace(/[\s-]+/g, '');
  }

  // ---------------------------------------------------------------- API

  function defaultMessage(status) {
    if (status === 401) return 'Please log in first.';
    if (status === 403) return 'You are not allowed to do that.';
    if (status === 404) return 'Not found.';
    if (status === 429) return 'Too many attempts. Please wait a minute and try again.';
    if (status >= 500) return 'The mini-UPS server had a problem (' + status + '). Please try again shortly.';
    return 'Request failed (' + status + ').';
  }

  function api(method, path, body) {
    var opts = { method: method, credentials: 'same-origin', headers: { 'Accept': 'application/json' } };
    if (method !== 'GET') opts.headers['X-Requested-With'] = 'mini-ups';
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (res) {
      return res.text().then(function (text) {
        var data = null;
        if (text) {
          try { data = JSON.parse(text); } catch (e) { data = null; }
        }
        var error = null;
        if (!res.ok) {
          error = (data && typeof data.error === 'string' && data.error) || defaultMessage(res.status);
        }
        return { ok: res.ok, status: res.status, data: data, error: error, headers: res.headers };
      });
    }, function () {
      return {
        ok: false, status: 0, data: null, headers: null,
        error: 'Cannot reach the mini-UPS server. Check your connection and try again.'
      };
    });
  }

  // ---------------------------------------------------------------- global error banner

  function showError(msg) {
    $('error-text').textContent = msg;
    $('error').hidden = false;
    try { $('error').scrollIntoView({ block: 'nearest' }); } catch (e) { /* old browsers */ }
  }

  function hideError() {
    $('error').hidden = true;
    $('error-text').textContent = '';
  }

  // ---------------------------------------------------------------- header / session

  function setMe(user) {
    me = user || null;
    renderAccount();
  }

  function loadMe() {
    return api('GET', '/api/me').then(function (r) {
      setMe(r.ok ? r.data : null);
    });
  }

  function renderAccount() {
    var box = $('account');
    box.replaceChildren();
    if (me) {
      box.appendChild(h('span', { 'class': 'who' },
        'Hi, ', h('strong', { id: 'user', 'data-user-id': me.id }, me.username), ' ',
        h('span', { 'class': 'pid', title: 'Your UPS profile ID' }, 'ID ' + me.id)));
      box.appendChild(h('button', { type: 'button', id: 'logout', 'class': 'btn btn-light', onclick: logout }, 'Log out'));
    } else {
      box.appendChild(h('a', { id: 'nav-login', 'class': 'nav-link', href: '#/login' }, 'Log in'));
      box.appendChild(h('a', { id: 'nav-register', 'class': 'btn btn-primary', href: '#/register' }, 'Register'));
    }
  }

  function logout() {
    var btn = $('logout');
    if (btn) btn.disabled = true;
    api('DELETE', '/api/sessions').then(function (r) {
      if (r.ok || r.status === 401) {
        setMe(null);
        if (parseHash().path === '/') route(); else navigate('/');
      } else {
        if (btn) btn.disabled = false;
        showError('Could not log out: ' + r.error);
      }
    });
  }

  // ---------------------------------------------------------------- router

  function parseHash() {
    var raw = location.hash.replace(/^#/, '');
    var q = raw.indexOf('?');
    var path = q >= 0 ? raw.slice(0, q) : raw;
    if (path === '' || path.charAt(0) !== '/') path = '/' + path;
    return { path: path, query: new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '') };
  }

  function navigate(path) {
    if (location.hash === '#' + path) route();
    else location.hash = '#' + path;
  }

  function onCleanup(fn) { cleanups.push(fn); }

  function runCleanups() {
    var list = cleanups;
    cleanups = [];
    list.forEach(function (fn) { try { fn(); } catch (e) { /* keep going */ } });
  }

  var ROUTES = [
    [/^\/$/, function (v, m, q, g) { renderHome(v, g); }],
    [/^\/track\/([^/]*)\/?$/, function (v, m, q, g) { renderTrack(v, safeDecode(m[1]), g); }],
    [/^\/track\/?$/, function (v, m, q, g) { renderHome(v, g); }],
    [/^\/login\/?$/, function (v, m, q, g) { renderLogin(v, q, g); }],
    [/^\/register\/?$/, function (v, m, q, g) { renderRegister(v, g); }],
    [/^\/packages\/?$/, function (v, m, q, g) { renderPackages(v, q, g); }],
    [/^\/fleet\/?$/, function (v, m, q, g) { renderFleet(v, g); }]
  ];

  function safeDecode(s) {
    try { return decodeURIComponent(s); } catch (e) { return s; }
  }

  function route() {
    runCleanups();
    hideError();
    var gen = ++routeGen;
    var loc = parseHash();
    var view = $('view');
    view.replaceChildren();
    var handled = false;
    for (var i = 0; i < ROUTES.length && !handled; i++) {
      var m = ROUTES[i][0].exec(loc.path);
      if (m) { ROUTES[i][1](view, m, loc.query, gen); handled = true; }
    }
    if (!handled) renderUnknownPage(view);
    var links = document.querySelectorAll('#nav a');
    for (var j = 0; j < links.length; j++) {
      var r = links[j].getAttribute('data-route');
      var active = r === '/' ? (loc.path === '/' || loc.path.indexOf('/track') === 0) : loc.path.indexOf(r) === 0;
      if (active) links[j].setAttribute('aria-current', 'page'); else links[j].removeAttribute('aria-current');
    }
    window.scrollTo(0, 0);
  }

  function isCurrent(gen) { return gen === routeGen; }

  function loadingEl(text) { return h('p', { 'class': 'loading', role: 'status' }, text || 'Loading…'); }

  function renderUnknownPage(view) {
    document.title = 'Page not found — mini-UPS';
    view.appendChild(h('section', { 'class': 'card empty-state' },
      h('h1', null, 'Page not found'),
      h('p', { 'class': 'muted' }, 'There is nothing at this address.'),
      h('a', { 'class': 'btn btn-primary', href: '#/' }, 'Track a package')));
  }

  // ---------------------------------------------------------------- home

  function renderHome(view) {
    document.title = 'mini-UPS — Track a package';
    var input = h('input', {
      id: 'tracking-input', 'class': 'input input-lg', type: 'text', name: 'tracking-number',
      autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false', maxlength: '40',
      placeholder: '1Z…', 'aria-describedby': 'tracking-help tracking-error'
    });
    var err = h('p', { id: 'tracking-error', 'class': 'field-error', role: 'alert', hidden: true });
    input.addEventListener('input', function () {
      if (!err.hidden) { err.hidden = true; input.removeAttribute('aria-invalid'); }
    });

    var form = h('form', {
      id: 'track-form', novalidate: true, role: 'search',
      onsubmit: function (e) {
        e.preventDefault();
        var tn = normalizeTn(input.value);
        if (!tn) {
          err.textContent = 'Enter a tracking number.';
        } else if (!TN_RE.test(tn)) {
          err.textContent = 'That doesn\'t look like a mini-UPS tracking number. It starts with 1Z followed by 16 letters or digits (18 characters in all).';
        } else {
          navigate('/track/' + tn);
          return;
        }
        err.hidden = false;
        input.setAttribute('aria-invalid', 'true');
        input.focus();
      }
    },
      h('label', { 'for': 'tracking-input', 'class': 'sr-only' }, 'Tracking number'),
      h('div', { 'class': 'track-row' },
        input,
        h('button', { id: 'track-button', type: 'submit', 'class': 'btn btn-primary btn-lg' }, 'Track')),
      err,
      h('p', { id: 'tracking-help', 'class': 'hint' },
        'Your tracking number is in the shipping confirmation from Amazon, for example 1Z999AA10123456784.'));

    var accountCta = me
      ? h('p', null, 'Signed in as ', h('strong', null, me.username), '. ',
          h('a', { href: '#/packages' }, 'See all your packages →'))
      : h('p', null, h('a', { href: '#/login' }, 'Log in'), ' or ',
          h('a', { href: '#/register' }, 'create an account'),
          ' to see every package shipped to you and change delivery addresses.');

    view.appendChild(h('section', { 'class': 'hero', 'aria-labelledby': 'home-title' },
      h('h1', { id: 'home-title' }, 'Where is my package?'),
      h('p', { 'class': 'lead' }, 'Enter your tracking number to see where your package is, live on the map.'),
      form,
      accountCta));

    view.appendChild(h('section', { 'class': 'features', 'aria-label': 'How it works' },
      h('div', { 'class': 'card' },
        h('h2', null, 'Live tracking'),
        h('p', { 'class': 'muted' }, 'Status, timeline and the truck\'s position update by themselves while the page is open.')),
      h('div', { 'class': 'card' },
        h('h2', null, 'Your UPS profile ID'),
        h('p', { 'class': 'muted' }, 'Register once and give your profile ID to Amazon at checkout: your orders show up under My packages automatically.')),
      h('div', { 'class': 'card' },
        h('h2', null, 'Change the destination'),
        h('p', { 'class': 'muted' }, 'Not home? Owners can redirect a package until it is out for delivery.'))));
    input.focus();
  }

  // ---------------------------------------------------------------- tracking page

  function renderTrack(view, rawTn, gen) {
    var tn = normalizeTn(rawTn);
    document.title = tn + ' — mini-UPS tracking';
    if (!TN_RE.test(tn)) {
      view.appendChild(notFoundCard(rawTn, true));
      return;
    }
    if (tn !== rawTn) { location.replace('#/track/' + tn); return; }
    view.appendChild(loadingEl('Looking up ' + tn + '…'));
    api('GET', '/api/packages/' + encodeURIComponent(tn)).then(function (r) {
      if (!isCurrent(gen)) return;
      view.replaceChildren();
      if (r.status === 404) {
        view.appendChild(notFoundCard(tn, false));
      } else if (!r.ok || !r.data) {
        showError(r.error || 'The server sent an unreadable answer.');
        view.appendChild(h('section', { 'class': 'card empty-state' },
          h('h1', null, 'We couldn\'t load this package'),
          h('p', { 'class': 'muted' }, 'Tracking number ', h('span', { 'class': 'mono' }, tn)),
          h('button', { type: 'button', 'class': 'btn btn-primary', onclick: route }, 'Try again')));
      } else {
        var page = trackingPage(view, tn);
        page.update(r.data);
        page.connect();
        onCleanup(page.close);
      }
    });
  }

  function notFoundCard(tn, malformed) {
    return h('section', { id: 'not-found', 'class': 'card empty-state', 'aria-labelledby': 'nf-title' },
      h('div', { 'class': 'big-icon', 'aria-hidden': 'true' }, '📦'),
      h('h1', { id: 'nf-title' }, malformed ? 'That isn\'t a tracking number' : 'We can\'t find that package'),
      h('p', { 'class': 'muted' },
        malformed
          ? 'mini-UPS tracking numbers start with 1Z followed by 16 letters or digits.'
          : 'No package has the tracking number ',
        malformed ? null : h('strong', { 'class': 'mono' }, tn),
        malformed ? null : '. Check it for typos. New shipments can take a moment to appear.'),
      h('div', { 'class': 'btn-row' },
        h('a', { 'class': 'btn btn-primary', href: '#/' }, 'Track another package'),
        me ? h('a', { 'class': 'btn btn-ghost', href: '#/packages' }, 'My packages') : null));
  }

  function trackingPage(view, tn) {
    var pkg = null;
    var owned = false;
    var es = null;
    var retryTimer = null;
    var closed = false;

    // status card
    var statusEl = h('h1', { id: 'status', 'aria-live': 'polite' });
    var statusBadge = h('span', { 'class': 'badge' });
    var statusDetail = h('p', { id: 'status-detail', 'class': 'status-detail' });
    var live = h('span', { id: 'live', 'class': 'live', 'data-state': 'off', role: 'status' }, 'Connecting…');
    var stepper = h('ol', { 'class': 'stepper', 'aria-label': 'Delivery progress' },
      STEPS.map(function (st) { return h('li', { 'data-step': st[0] }, st[1]); }));
    var statusCard = h('section', { 'class': 'card status-card', 'aria-label': 'Status' },
      h('div', { 'class': 'track-head' },
        h('div', null,
          h('div', { 'class': 'label' }, 'Tracking number'),
          h('div', { 'class': 'tn', id: 'tracking-number' }, tn)),
        live),
      h('div', { 'class': 'status-line' }, statusEl, statusBadge),
      statusDetail,
      stepper);

    // map + details
    var map = s('svg', { id: 'map', 'class': 'map', role: 'img', 'aria-labelledby': 'map-title', viewBox: '0 0 100 60' });
    var mapCard = h('section', { 'class': 'card', 'aria-labelledby': 'map-h' },
      h('h2', { id: 'map-h' }, 'Map'),
      h('div', { 'class': 'map-wrap' }, map),
      h('ul', { 'class': 'legend', 'aria-hidden': 'true' },
        h('li', null, h('span', { 'class': 'sw sw-warehouse' }), 'Warehouse'),
        h('li', null, h('span', { 'class': 'sw sw-destination' }), 'Destination'),
        h('li', null, h('span', { 'class': 'sw sw-position' }), 'Package / truck'),
        h('li', null, h('span', { 'class': 'sw sw-route' }), 'Route so far')));

    var dDest = h('dd', { id: 'destination' });
    var dWarehouse = h('dd', { id: 'warehouse' });
    var dTruck = h('dd', { id: 'truck' });
    var dPos = h('dd', { id: 'position' });
    var dShip = h('dd', { id: 'ship-id' });
    var dUpdated = h('dd', { id: 'updated' });
    var detailsCard = h('section', { 'class': 'card', 'aria-labelledby': 'details-h' },
      h('h2', { id: 'details-h' }, 'Shipment details'),
      h('dl', { 'class': 'details' },
        h('dt', null, 'Destination'), dDest,
        h('dt', null, 'From warehouse'), dWarehouse,
        h('dt', null, 'Truck'), dTruck,
        h('dt', null, 'Current position'), dPos,
        h('dt', null, 'Shipment'), dShip,
        h('dt', null, 'Last update'), dUpdated));

    var timeline = h('ol', { id: 'timeline', 'class': 'timeline', 'aria-live': 'polite' });
    var timelineCard = h('section', { 'class': 'card', 'aria-labelledby': 'timeline-h' },
      h('h2', { id: 'timeline-h' }, 'Tracking history'),
      timeline);

    var ownerBox = h('div', { 'class': 'stack' });
    var sideColumn = h('div', { 'class': 'stack' }, detailsCard, ownerBox);

    view.appendChild(statusCard);
    view.appendChild(h('div', { 'class': 'grid-2' }, mapCard, sideColumn));
    view.appendChild(h('div', { 'class': 'section-gap' }, timelineCard));

    // owner-only parts, created on first sight of owned:true
    var owner = null;

    function buildOwner() {
      var itemsList = h('ul', { id: 'items', 'class': 'items' });
      var itemsCard = h('section', { 'class': 'card', 'aria-labelledby': 'items-h' },
        h('h2', { id: 'items-h' }, 'What\'s inside'), itemsList);

      var xIn = h('input', { id: 'dest-x', 'class': 'input', type: 'text', inputmode: 'numeric', name: 'x', autocomplete: 'off', required: true });
      var yIn = h('input', { id: 'dest-y', 'class': 'input', type: 'text', inputmode: 'numeric', name: 'y', autocomplete: 'off', required: true });
      var btn = h('button', { id: 'change-destination', type: 'submit', 'class': 'btn btn-dark' }, 'Change destination');
      var msg = h('p', { id: 'destination-message', 'class': 'msg', role: 'status', 'aria-live': 'polite' });
      var o = {
        itemsList: itemsList, xIn: xIn, yIn: yIn, btn: btn, msg: msg,
        shownX: '', shownY: '', busy: false, locked: false, tooLate: null, msgKind: null
      };
      var form = h('form', { id: 'destination-form', novalidate: true, onsubmit: function (e) { e.preventDefault(); submitDestination(o); } },
        h('p', { 'class': 'muted' }, 'Enter the new delivery coordinates. You can change them until the package is out for delivery.'),
        h('div', { 'class': 'xy-row' },
          h('div', { 'class': 'field' }, h('label', { 'for': 'dest-x' }, 'x'), xIn),
          h('div', { 'class': 'field' }, h('label', { 'for': 'dest-y' }, 'y'), yIn),
          btn),
        msg);
      var destCard = h('section', { 'class': 'card', 'aria-labelledby': 'dest-h' },
        h('h2', { id: 'dest-h' }, 'Change destination'), form);
      ownerBox.appendChild(itemsCard);
      ownerBox.appendChild(destCard);
      return o;
    }

    function setMsg(o, text, kind) {
      o.msg.textContent = text || '';
      o.msg.className = 'msg' + (kind ? ' msg-' + kind : '');
      o.msgKind = text ? kind : null;
    }

    function applyLock(o) {
      var locked = o.locked || !pkg.canChangeDestination;
      o.xIn.disabled = locked;
      o.yIn.disabled = locked;
      o.btn.disabled = locked || o.busy;
      if (locked) {
        setMsg(o, o.tooLate || pkg.destinationLockedReason || 'The destination can no longer be changed.', o.tooLate ? 'error' : 'locked');
      } else if (o.msgKind === 'locked') {
        setMsg(o, '', null);
      }
    }

    function submitDestination(o) {
      var xs = o.xIn.value.trim();
      var ys = o.yIn.value.trim();
      var bad = !INT_RE.test(xs) ? o.xIn : (!INT_RE.test(ys) ? o.yIn : null);
      o.xIn.removeAttribute('aria-invalid');
      o.yIn.removeAttribute('aria-invalid');
      if (bad) {
        bad.setAttribute('aria-invalid', 'true');
        setMsg(o, 'Enter whole numbers for both x and y.', 'error');
        bad.focus();
        return;
      }
      var x = parseInt(xs, 10);
      var y = parseInt(ys, 10);
      o.busy = true;
      o.btn.disabled = true;
      setMsg(o, 'Saving…', 'info');
      api('PUT', '/api/packages/' + encodeURIComponent(tn) + '/destination', { x: x, y: y }).then(function (r) {
        if (closed) return;
        o.busy = false;
        if (r.ok && r.data) {
          update(r.data);
          setMsg(o, 'Destination changed to (' + x + ', ' + y + ').', 'success');
        } else if (r.ok) {
          setMsg(o, 'Destination changed to (' + x + ', ' + y + ').', 'success');
        } else if (r.status === 409) {
          o.tooLate = /^too late/i.test(r.error) ? r.error : 'Too late: ' + r.error;
          o.locked = true;
          applyLock(o);
        } else if (r.status === 401) {
          setMsg(o, 'Your session has ended. Log in again to change the destination.', 'error');
          setMe(null);
        } else if (r.status === 403) {
          setMsg(o, r.error || 'Only the owner of this package can change its destination.', 'error');
        } else {
          setMsg(o, r.error, 'error');
        }
        if (pkg) applyLock(o);
      });
    }

    // A live update refills the inputs only while they still hold what this page last put there
    // (or already hold the new value): whatever the person typed, or emptied, stays.
    function showDestination(o, x, y) {
      var focused = document.activeElement === o.xIn || document.activeElement === o.yIn;
      var untouched = !focused && o.xIn.value === o.shownX && o.yIn.value === o.shownY;
      if (!untouched && !(o.xIn.value === x && o.yIn.value === y)) return;
      o.xIn.value = x;
      o.yIn.value = y;
      o.shownX = x;
      o.shownY = y;
    }

    function renderOwner() {
      if (!owned) {
        if (owner) { ownerBox.replaceChildren(); owner = null; }
        return;
      }
      if (!owner) owner = buildOwner();
      var items = Array.isArray(pkg.items) ? pkg.items : [];
      owner.itemsList.replaceChildren();
      if (!items.length) {
        owner.itemsList.appendChild(h('li', { 'class': 'muted' }, 'No item details were sent with this shipment.'));
      }
      items.forEach(function (it) {
        owner.itemsList.appendChild(h('li', { 'data-product-id': it.productId },
          h('span', { 'class': 'qty' }, (it.count == null ? 1 : it.count) + '×'),
          h('span', null, it.description || 'Item'),
          h('span', { 'class': 'pid' }, '#' + it.productId)));
      });
      if (pkg.destination) showDestination(owner, String(pkg.destination.x), String(pkg.destination.y));
      applyLock(owner);
    }

    function renderTimeline() {
      var hist = Array.isArray(pkg.history) ? pkg.history : [];
      timeline.replaceChildren();
      if (!hist.length) {
        timeline.appendChild(h('li', { 'data-status': pkg.status }, h('span', { 'class': 't-status' }, pkg.status)));
        return;
      }
      hist.forEach(function (e, i) {
        var where = typeof e.x === 'number' ? 'at (' + e.x + ', ' + e.y + ')' : null;
        timeline.appendChild(h('li', { 'data-status': e.status, 'class': i === hist.length - 1 ? 'latest' : null },
          h('div', { 'class': 't-status' }, e.status),
          h('div', { 'class': 't-meta' },
            h('time', { datetime: e.at }, fmtTime(e.at)),
            where ? ' · ' + where : null),
          e.detail ? h('div', { 'class': 't-detail' }, e.detail) : null));
      });
    }

    function renderStepper() {
      var status = pkg.status;
      var idx = -1;
      for (var i = 0; i < STEPS.length; i++) if (STEPS[i][0] === status) idx = i;
      var exception = status === 'exception';
      if (exception) {
        // show where it stopped: the last regular status in the history
        var hist = Array.isArray(pkg.history) ? pkg.history : [];
        for (var k = hist.length - 1; k >= 0 && idx < 0; k--) {
          for (var j = 0; j < STEPS.length; j++) if (STEPS[j][0] === hist[k].status) idx = j;
        }
      }
      stepper.classList.toggle('has-exception', exception);
      var lis = stepper.children;
      for (var n = 0; n < lis.length; n++) {
        lis[n].className = n < idx ? 'done' : (n === idx ? 'current' : '');
        if (n === idx) lis[n].setAttribute('aria-current', 'step'); else lis[n].removeAttribute('aria-current');
      }
    }

    function update(p) {
      if (!p || typeof p !== 'object') return;
      var prevItems = pkg && pkg.items;
      pkg = p;
      // a stream event may omit owner-only fields; keep what we already know
      if (p.owned === true) owned = true;
      else if (p.owned === false) owned = false;
      if (owned && !Array.isArray(p.items) && prevItems) pkg.items = prevItems;

      statusEl.textContent = p.status;
      statusEl.setAttribute('data-status', p.status);
      statusBadge.className = 'badge ' + statusClass(p.status);
      statusBadge.textContent = p.status === 'delivered' ? 'Delivered' : (p.status === 'exception' ? 'Needs attention' : 'In progress');
      var text = STATUS_TEXT[p.status] || '';
      var hist = Array.isArray(p.history) ? p.history : [];
      var last = hist.length ? hist[hist.length - 1] : null;
      if (p.status === 'exception' && last && last.detail) text = 'There is a problem with this delivery: ' + last.detail;
      statusDetail.textContent = text;
      statusCard.classList.toggle('is-exception', p.status === 'exception');
      statusCard.classList.toggle('is-delivered', p.status === 'delivered');
      document.title = p.status + ' · ' + tn + ' — mini-UPS';

      dDest.textContent = xy(p.destination);
      dWarehouse.textContent = p.warehouse ? '#' + p.warehouse.id + ' at ' + xy(p.warehouse) : '—';
      dTruck.textContent = p.truckId === null || p.truckId === undefined ? 'Not assigned yet' : 'Truck #' + p.truckId;
      dPos.textContent = xy(p.position);
      dShip.textContent = p.shipId === null || p.shipId === undefined ? '—' : '#' + p.shipId;
      dUpdated.replaceChildren(last ? h('time', { datetime: last.at }, fmtTime(last.at)) : '—');

      renderStepper();
      renderTimeline();
      drawPackageMap(map, p);
      renderOwner();
    }

    function setLive(state, text) {
      live.setAttribute('data-state', state);
      live.textContent = text;
    }

    function onEvent(ev) {
      var data;
      try { data = JSON.parse(ev.data); } catch (e) { return; }
      if (data && data.trackingNumber && normalizeTn(data.trackingNumber) !== tn) return;
      update(data);
      if (data && data.status === 'delivered') {
        // The server ends the stream after this view: nothing more will change, so do not reconnect.
        if (es) { es.close(); es = null; }
        setLive('off', 'Delivered: no more updates');
      } else {
        setLive('on', 'Live');
      }
    }

    function connect() {
      if (closed) return;
      if (typeof window.EventSource !== 'function') {
        setLive('off', 'Live updates unavailable');
        return;
      }
      es = new EventSource('/api/packages/' + encodeURIComponent(tn) + '/events');
      es.onopen = function () { setLive('on', 'Live'); };
      es.onmessage = onEvent;
      ['package', 'update', 'status', 'position'].forEach(function (name) { es.addEventListener(name, onEvent); });
      es.onerror = function () {
        if (closed || !es) return;
        if (es.readyState === EventSource.CLOSED) {
          // the browser gave up (e.g. a non-200 answer): try again ourselves, a bit later
          setLive('off', 'Live updates paused, retrying…');
          es.close();
          es = null;
          retryTimer = setTimeout(connect, 5000);
        } else {
          setLive('wait', 'Reconnecting…');
        }
      };
    }

    function close() {
      closed = true;
      if (es) { es.close(); es = null; }
      if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; }
    }

    return { update: update, connect: connect, close: close };
  }

  // ---------------------------------------------------------------- SVG map

  function niceStep(span) {
    var raw = span / 8;
    var mag = Math.pow(10, Math.floor(Math.log(raw) / Math.LN10));
    var n = raw / mag;
    return (n < 1.5 ? 1 : n < 3.5 ? 2 : n < 7.5 ? 5 : 10) * mag;
  }

  /*
   * markers: [{kind: warehouse|destination|position|truck, id, x, y, label, title}]
   * route: [{x, y}] drawn as a dashed line. World y grows upwards (north up); SVG y is flipped.
   * plans: [{id, truckId, points: [{x, y}]}] drawn as one line each (the trucks' planned routes).
   */
  function drawMap(svg, title, markers, routePts, extraLines, plans) {
    var planPts = [];
    (plans || []).forEach(function (p) { planPts = planPts.concat(p.points); });
    var pts = markers.concat(routePts || []).concat(planPts).filter(function (p) {
      return p && typeof p.x === 'number' && typeof p.y === 'number' && isFinite(p.x) && isFinite(p.y);
    });
    svg.replaceChildren();
    svg.appendChild(s('title', { id: svg.id + '-title' }, title));
    svg.setAttribute('aria-labelledby', svg.id + '-title');
    if (!pts.length) {
      svg.setAttribute('viewBox', '0 0 100 40');
      svg.appendChild(s('text', { x: 50, y: 22, 'text-anchor': 'middle', 'font-size': 5, 'class': 'grid-label' }, 'Nothing to show yet'));
      return;
    }
    var minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
    pts.forEach(function (p) {
      minX = Math.min(minX, p.x); maxX = Math.max(maxX, p.x);
      minY = Math.min(minY, p.y); maxY = Math.max(maxY, p.y);
    });
    var spanX = Math.max(maxX - minX, 10);
    var spanY = Math.max(maxY - minY, 10);
    // keep a pleasant aspect ratio: between 2:1 and 1:1 (width:height)
    if (spanY < spanX * 0.5) spanY = spanX * 0.5;
    if (spanX < spanY) spanX = spanY;
    var pad = Math.max(spanX, spanY) * 0.12 + 1;
    var cx = (minX + maxX) / 2, cy = (minY + maxY) / 2;
    var x0 = cx - spanX / 2 - pad, x1 = cx + spanX / 2 + pad;
    var y0 = cy - spanY / 2 - pad, y1 = cy + spanY / 2 + pad;   // world coordinates
    var W = x1 - x0, H = y1 - y0;
    var u = Math.max(W, H) / 60;            // marker unit
    svg.setAttribute('viewBox', [x0, -y1, W, H].map(function (v) { return +v.toFixed(3); }).join(' '));
    svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');

    var grid = s('g', { 'aria-hidden': 'true' });
    var step = niceStep(Math.max(W, H));
    var fs = +(u * 1.7).toFixed(3);
    var gx, gy;
    for (gx = Math.ceil(x0 / step) * step; gx <= x1; gx += step) {
      grid.appendChild(s('line', { 'class': gx === 0 ? 'axis-line' : 'grid-line', x1: gx, y1: -y1, x2: gx, y2: -y0, 'vector-effect': 'non-scaling-stroke' }));
      if (gx - x0 > 3 * u && x1 - gx > 2 * u) grid.appendChild(s('text', { 'class': 'grid-label', x: gx + u * 0.4, y: -y0 - u * 0.6, 'font-size': fs }, fmtNum(gx)));
    }
    for (gy = Math.ceil(y0 / step) * step; gy <= y1; gy += step) {
      grid.appendChild(s('line', { 'class': gy === 0 ? 'axis-line' : 'grid-line', x1: x0, y1: -gy, x2: x1, y2: -gy, 'vector-effect': 'non-scaling-stroke' }));
      if (gy - y0 > 3 * u && y1 - gy > 2 * u) grid.appendChild(s('text', { 'class': 'grid-label', x: x0 + u * 0.4, y: -gy - u * 0.4, 'font-size': fs }, fmtNum(gy)));
    }
    svg.appendChild(grid);

    var clean = (routePts || []).filter(function (p) { return p && typeof p.x === 'number' && typeof p.y === 'number'; });
    if (clean.length > 1) {
      svg.appendChild(s('polyline', {
        'class': 'route', 'vector-effect': 'non-scaling-stroke',
        points: clean.map(function (p) { return p.x + ',' + (-p.y); }).join(' ')
      }));
    }
    (plans || []).forEach(function (p) {
      if (p.points.length < 2) return;
      svg.appendChild(s('polyline', {
        'class': 'plan', id: p.id, 'data-truck-id': p.truckId, 'vector-effect': 'non-scaling-stroke',
        points: p.points.map(function (q) { return q.x + ',' + (-q.y); }).join(' ')
      }, s('title', null, 'Truck #' + p.truckId + ': planned route, ' + (p.points.length - 1) + ' stops ahead')));
    });
    (extraLines || []).forEach(function (l) {
      svg.appendChild(s('line', { 'class': l.cls, x1: l.a.x, y1: -l.a.y, x2: l.b.x, y2: -l.b.y, 'vector-effect': 'non-scaling-stroke' }));
    });

    var order = { warehouse: 0, destination: 1, truck: 2, position: 3 };
    var labelsAt = [];
    markers.slice().sort(function (a, b) { return order[a.kind] - order[b.kind]; }).forEach(function (m) {
      if (!m || typeof m.x !== 'number' || typeof m.y !== 'number') return;
      var X = m.x, Y = -m.y, g;
      var attrs = { 'data-x': m.x, 'data-y': m.y, 'data-kind': m.kind };
      if (m.id) attrs.id = m.id;
      g = s('g', attrs, s('title', null, m.title || m.label || m.kind));
      if (m.kind === 'warehouse') {
        g.appendChild(s('rect', { 'class': 'm-warehouse', x: X - 1.4 * u, y: Y - 1.4 * u, width: 2.8 * u, height: 2.8 * u, rx: 0.3 * u, 'vector-effect': 'non-scaling-stroke' }));
      } else if (m.kind === 'destination') {
        var r = 1.5 * u, cyy = Y - 3.4 * u, dx = 1.3 * u, dy = Y - 2.65 * u;
        g.appendChild(s('path', {
          'class': 'm-destination', 'vector-effect': 'non-scaling-stroke',
          d: 'M' + X + ' ' + Y + ' L' + (X - dx) + ' ' + dy + ' A' + r + ' ' + r + ' 0 1 1 ' + (X + dx) + ' ' + dy + ' Z'
        }));
        g.appendChild(s('circle', { 'class': 'm-destination-hole', cx: X, cy: cyy, r: 0.55 * u }));
      } else if (m.kind === 'truck') {
        g.appendChild(s('circle', { 'class': 'm-truck', cx: X, cy: Y, r: 1.2 * u, 'vector-effect': 'non-scaling-stroke' }));
      } else {
        g.appendChild(s('circle', { 'class': 'm-position-halo', cx: X, cy: Y, r: 2.4 * u }));
        g.appendChild(s('circle', { 'class': 'm-position', cx: X, cy: Y, r: 1.1 * u, 'vector-effect': 'non-scaling-stroke' }));
      }
      if (m.label) {
        // labels sit beside the marker, on the side with more room, and step down to avoid each other
        var right = X < (x0 + x1) / 2;
        var lx = right ? X + 2 * u : X - 2 * u;
        var ly = m.kind === 'destination' ? Y - 3 * u : Y - 0.2 * u;
        while (labelsAt.some(function (o) { return Math.abs(o.x - lx) < 8 * u && Math.abs(o.y - ly) < 2 * u; })) ly += 2.2 * u;
        labelsAt.push({ x: lx, y: ly });
        g.appendChild(s('text', {
          'class': 'm-label', x: lx, y: ly, 'text-anchor': right ? 'start' : 'end', 'dominant-baseline': 'middle',
          'font-size': +(u * 1.8).toFixed(3), 'stroke-width': +(u * 0.5).toFixed(3)
        }, m.label));
      }
      svg.appendChild(g);
    });
  }

  function fmtNum(n) {
    return String(Math.round(n * 1000) / 1000);
  }

  function drawPackageMap(svg, p) {
    var markers = [];
    if (p.warehouse) markers.push({ kind: 'warehouse', id: 'map-warehouse', x: p.warehouse.x, y: p.warehouse.y, label: 'Warehouse', title: 'Warehouse #' + p.warehouse.id + ' ' + xy(p.warehouse) });
    if (p.destination) markers.push({ kind: 'destination', id: 'map-destination', x: p.destination.x, y: p.destination.y, label: 'Destination', title: 'Destination ' + xy(p.destination) });
    var aboard = p.status === 'loading' || p.status === 'out for delivery';
    if (p.position) {
      var who = aboard && p.truckId !== null && p.truckId !== undefined ? 'Truck #' + p.truckId : 'Package';
      markers.push({ kind: 'position', id: 'map-position', x: p.position.x, y: p.position.y, label: who, title: who + ' ' + xy(p.position) });
    }
    // The assigned truck on its way to the package (once aboard, the package marker is the truck).
    if (p.truckPosition && !aboard) {
      markers.push({ kind: 'truck', id: 'map-truck', x: p.truckPosition.x, y: p.truckPosition.y, label: 'Truck #' + p.truckId, title: 'Truck #' + p.truckId + ' ' + xy(p.truckPosition) });
    }
    var routePts = [];
    (Array.isArray(p.history) ? p.history : []).forEach(function (e) {
      if (typeof e.x !== 'number' || typeof e.y !== 'number') return;
      var lastPt = routePts[routePts.length - 1];
      if (!lastPt || lastPt.x !== e.x || lastPt.y !== e.y) routePts.push({ x: e.x, y: e.y });
    });
    if (p.position && routePts.length) {
      var lp = routePts[routePts.length - 1];
      if (lp.x !== p.position.x || lp.y !== p.position.y) routePts.push({ x: p.position.x, y: p.position.y });
    }
    var extra = [];
    if (p.status === 'out for delivery' && p.position && p.destination) extra.push({ cls: 'to-dest', a: p.position, b: p.destination });
    drawMap(svg, 'Map of package ' + p.trackingNumber + ': warehouse ' + xy(p.warehouse) + ', destination ' + xy(p.destination) + ', now at ' + xy(p.position), markers, routePts, extra);
  }

  // ---------------------------------------------------------------- log in

  function field(id, label, attrs, hint) {
    var a = Object.assign({ id: id, name: id, 'class': 'input' }, attrs || {});
    if (hint) a['aria-describedby'] = id + '-hint';
    return h('div', { 'class': 'field' },
      h('label', { 'for': id }, label),
      h('input', a),
      hint ? h('span', { 'class': 'hint', id: id + '-hint' }, hint) : null);
  }

  function safeNext(next) {
    return next && /^\/[a-z]/i.test(next) && next.indexOf('//') < 0 ? next : '/packages';
  }

  function renderLogin(view, query) {
    document.title = 'Log in — mini-UPS';
    var next = safeNext(query.get('next'));
    var inlineErr = h('p', { id: 'login-error', 'class': 'field-error', role: 'alert', hidden: true });
    var btn = h('button', { id: 'login-submit', type: 'submit', 'class': 'btn btn-primary' }, 'Log in');
    var form = h('form', { id: 'login-form', novalidate: true, onsubmit: function (e) {
      e.preventDefault();
      hideError();
      var u = $('login-username').value.trim();
      var p = $('login-password').value;
      if (!u || !p) {
        inlineErr.textContent = 'Enter your username and password.';
        inlineErr.hidden = false;
        (u ? $('login-password') : $('login-username')).focus();
        return;
      }
      inlineErr.hidden = true;
      btn.disabled = true;
      btn.textContent = 'Logging in…';
      api('POST', '/api/sessions', { username: u, password: p }).then(function (r) {
        btn.disabled = false;
        btn.textContent = 'Log in';
        if (r.ok) {
          setMe(r.data);
          navigate(next);
          return;
        }
        if (r.status === 401) showError(r.data && r.data.error ? r.error : 'Wrong username or password.');
        else if (r.status === 429) {
          var ra = r.headers && r.headers.get('Retry-After');
          showError((r.data && r.data.error ? r.error : 'Too many login attempts.') + (ra ? ' Try again in ' + ra + ' seconds.' : ''));
        } else showError(r.error);
        $('login-password').select();
      });
    } },
      field('login-username', 'Username', { type: 'text', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', required: true }),
      field('login-password', 'Password', { type: 'password', autocomplete: 'current-password', required: true }),
      inlineErr,
      h('div', { 'class': 'btn-row' }, btn));

    view.appendChild(h('section', { 'class': 'card card-narrow', 'aria-labelledby': 'login-h' },
      h('h1', { id: 'login-h' }, 'Log in'),
      query.get('next') ? h('p', { 'class': 'msg msg-info' }, 'Log in to continue.') : null,
      me ? h('p', { 'class': 'muted' }, 'You are already logged in as ', h('strong', null, me.username), '. Logging in again switches account.') : null,
      form,
      h('p', { 'class': 'muted section-gap' }, 'New to mini-UPS? ', h('a', { href: '#/register' }, 'Create an account'), '.')));
    $('login-username').focus();
  }

  // ---------------------------------------------------------------- register

  function renderRegister(view, gen) {
    document.title = 'Register — mini-UPS';
    var inlineErr = h('p', { id: 'register-error', 'class': 'field-error', role: 'alert', hidden: true });
    var btn = h('button', { id: 'register-submit', type: 'submit', 'class': 'btn btn-primary' }, 'Create account');
    var card = h('section', { 'class': 'card card-narrow', 'aria-labelledby': 'register-h' });
    var form = h('form', { id: 'register-form', novalidate: true, onsubmit: function (e) {
      e.preventDefault();
      hideError();
      var u = $('register-username').value.trim();
      var p = $('register-password').value;
      var em = $('register-email').value.trim();
      var problem = !u ? 'Choose a username.'
        : !p ? 'Choose a password.'
        : em && !/^[^\s@]+@[^\s@]+$/.test(em) ? 'That email address doesn\'t look right (or leave it empty).'
        : null;
      if (problem) {
        inlineErr.textContent = problem;
        inlineErr.hidden = false;
        return;
      }
      inlineErr.hidden = true;
      btn.disabled = true;
      btn.textContent = 'Creating account…';
      var body = { username: u, password: p };
      if (em) body.email = em;
      api('POST', '/api/users', body).then(function (r) {
        if (!isCurrent(gen)) return;
        if (!r.ok || !r.data) {
          btn.disabled = false;
          btn.textContent = 'Create account';
          showError(r.error || 'Registration failed.');
          return;
        }
        var user = r.data;
        // log straight in so the new account is ready to use
        api('POST', '/api/sessions', { username: u, password: p }).then(function (lr) {
          if (!isCurrent(gen)) return;
          if (lr.ok) setMe(lr.data || user);
          card.replaceChildren(
            h('h1', { id: 'register-h' }, 'Welcome, ' + user.username + '!'),
            h('p', null, 'Your account is ready.'),
            h('div', { 'class': 'profile-box' },
              h('div', { 'class': 'label' }, 'Your UPS profile ID'),
              h('strong', { id: 'profile-id', 'data-user-id': user.id }, String(user.id)),
              h('div', null, 'Give this number to Amazon at checkout: your orders then appear under My packages automatically.')),
            h('div', { 'class': 'btn-row' },
              lr.ok
                ? h('a', { 'class': 'btn btn-primary', href: '#/packages' }, 'Go to my packages')
                : h('a', { 'class': 'btn btn-primary', href: '#/login' }, 'Log in'),
              h('a', { 'class': 'btn btn-ghost', href: '#/' }, 'Track a package')));
        });
      });
    } },
      field('register-username', 'Username', { type: 'text', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', required: true }),
      field('register-email', h('span', null, 'Email ', h('span', { 'class': 'optional' }, '(optional)')), { type: 'email', autocomplete: 'email' }),
      field('register-password', 'Password', { type: 'password', autocomplete: 'new-password', required: true }),
      inlineErr,
      h('div', { 'class': 'btn-row' }, btn));
    card.appendChild(h('h1', { id: 'register-h' }, 'Create your account'));
    card.appendChild(h('p', { 'class': 'muted' }, 'You get a UPS profile ID to give Amazon at checkout, so every package shipped to you shows up in one place.'));
    card.appendChild(form);
    card.appendChild(h('p', { 'class': 'muted section-gap' }, 'Already registered? ', h('a', { href: '#/login' }, 'Log in'), '.'));
    view.appendChild(card);
    $('register-username').focus();
  }

  // ---------------------------------------------------------------- my packages

  function renderPackages(view, query, gen) {
    document.title = 'My packages — mini-UPS';
    var page = Math.max(0, parseInt(query.get('page'), 10) || 0);
    var list = h('div', { id: 'my-packages', 'aria-live': 'polite' }, loadingEl('Loading your packages…'));
    var claimInput = h('input', {
      id: 'claim-input', name: 'claim', 'class': 'input', type: 'text', autocomplete: 'off',
      autocapitalize: 'characters', spellcheck: 'false', placeholder: '1Z…', 'aria-describedby': 'claim-message'
    });
    // The destination proves the package is yours, as a carrier asks for your postal code.
    var claimX = h('input', { id: 'claim-x', name: 'x', 'class': 'input input-coord', type: 'number', step: '1', inputmode: 'numeric', 'aria-describedby': 'claim-message' });
    var claimY = h('input', { id: 'claim-y', name: 'y', 'class': 'input input-coord', type: 'number', step: '1', inputmode: 'numeric', 'aria-describedby': 'claim-message' });
    var claimBtn = h('button', { id: 'claim-submit', type: 'submit', 'class': 'btn btn-dark' }, 'Add package');
    var claimMsg = h('p', { id: 'claim-message', 'class': 'msg', role: 'status' });
    var intro = h('p', { 'class': 'muted', id: 'my-packages-intro' });

    view.appendChild(h('div', { 'class': 'page-head' }, h('h1', null, 'My packages')));
    view.appendChild(intro);
    view.appendChild(h('section', { 'class': 'card', 'aria-label': 'Your packages' }, list));
    view.appendChild(h('section', { 'class': 'card', 'aria-labelledby': 'claim-h' },
      h('h2', { id: 'claim-h' }, 'Claim a package by tracking number'),
      h('p', { 'class': 'muted' }, 'Shipped to you but not in your list? Add it with its tracking number and the address (x, y) it is going to.'),
      h('form', { id: 'claim-form', 'class': 'inline-form', novalidate: true, onsubmit: onClaim },
        h('div', { 'class': 'field' }, h('label', { 'for': 'claim-input' }, 'Tracking number'), claimInput),
        h('div', { 'class': 'field' }, h('label', { 'for': 'claim-x' }, 'x'), claimX),
        h('div', { 'class': 'field' }, h('label', { 'for': 'claim-y' }, 'y'), claimY),
        claimBtn),
      claimMsg));

    function setIntro() {
      intro.replaceChildren();
      if (me) {
        intro.appendChild(document.createTextNode('Packages shipped to your UPS profile ID '));
        intro.appendChild(h('span', { 'class': 'profile-inline', id: 'my-profile-id' }, String(me.id)));
        intro.appendChild(document.createTextNode(', newest first. Give this ID to Amazon at checkout.'));
      }
    }

    function onClaim(e) {
      e.preventDefault();
      hideError();
      var tn = normalizeTn(claimInput.value);
      claimMsg.className = 'msg';
      claimMsg.textContent = '';
      if (!TN_RE.test(tn)) {
        claimMsg.className = 'msg msg-error';
        claimMsg.textContent = 'Enter a tracking number like 1Z followed by 16 letters or digits.';
        claimInput.setAttribute('aria-invalid', 'true');
        claimInput.focus();
        return;
      }
      claimInput.removeAttribute('aria-invalid');
      var x = parseInt(claimX.value, 10);
      var y = parseInt(claimY.value, 10);
      if (String(x) !== claimX.value.trim() || String(y) !== claimY.value.trim()) {
        claimMsg.className = 'msg msg-error';
        claimMsg.textContent = 'Enter the destination of the package as whole numbers x and y.';
        (String(x) !== claimX.value.trim() ? claimX : claimY).focus();
        return;
      }
      claimBtn.disabled = true;
      api('POST', '/api/me/packages', { trackingNumber: tn, x: x, y: y }).then(function (r) {
        if (!isCurrent(gen)) return;
        claimBtn.disabled = false;
        if (r.ok) {
          claimInput.value = '';
          claimX.value = '';
          claimY.value = '';
          claimMsg.className = 'msg msg-success';
          claimMsg.textContent = 'Added ' + tn + ' to your packages.';
          if (page !== 0) navigate('/packages'); else load(false);
        } else if (r.status === 401) {
          navigate('/login?next=/packages');
        } else {
          // A wrong destination (403), a delivered or another's package (409), too many tries (429).
          claimMsg.className = 'msg msg-error';
          claimMsg.textContent = r.error;
        }
      });
    }

    function load(quiet) {
      return api('GET', '/api/me/packages?page=' + page + '&size=' + PAGE_SIZE).then(function (r) {
        if (!isCurrent(gen)) return;
        if (r.status === 401) {
          setMe(null);
          navigate('/login?next=' + (page ? '/packages?page=' + page : '/packages'));
          return;
        }
        if (!r.ok || !r.data) {
          if (!quiet) {
            showError(r.error || 'Could not load your packages.');
            list.replaceChildren(h('p', { 'class': 'muted' }, 'Your packages could not be loaded. ',
              h('button', { type: 'button', 'class': 'btn btn-ghost', onclick: function () { load(false); } }, 'Try again')));
          }
          return;
        }
        renderList(r.data);
      });
    }

    function renderList(d) {
      var items = Array.isArray(d.items) ? d.items : [];
      var total = typeof d.total === 'number' ? d.total : items.length;
      var size = d.size || PAGE_SIZE;
      var pages = Math.max(1, Math.ceil(total / size));
      list.replaceChildren();
      if (!items.length) {
        list.appendChild(h('div', { id: 'my-packages-empty', 'class': 'empty-state' },
          h('div', { 'class': 'big-icon', 'aria-hidden': 'true' }, '📭'),
          h('h2', null, total > 0 ? 'No packages on this page' : 'No packages yet'),
          total > 0
            ? h('p', null, h('a', { href: '#/packages' }, 'Back to the first page'))
            : h('p', { 'class': 'muted' }, 'When you order from Amazon with your UPS profile ID',
                me ? [' (', h('strong', null, String(me.id)), ')'] : null,
                ', your packages appear here automatically. You can also claim one below by its tracking number.')));
        return;
      }
      var tbody = h('tbody');
      items.forEach(function (p) {
        tbody.appendChild(h('tr', { 'data-tracking-number': p.trackingNumber },
          h('td', { 'class': 'mono', 'data-label': 'Tracking number' },
            h('a', { href: '#/track/' + encodeURIComponent(p.trackingNumber) }, p.trackingNumber)),
          h('td', { 'data-label': 'Status' }, badge(p.status)),
          h('td', { 'data-label': 'Destination' }, xy(p.destination)),
          h('td', { 'data-label': 'Updated' }, p.updatedAt ? h('time', { datetime: p.updatedAt }, fmtTime(p.updatedAt)) : '—')));
      });
      list.appendChild(h('table', { 'class': 'table table-stack' },
        h('caption', { 'class': 'sr-only' }, 'Your packages, newest first'),
        h('thead', null, h('tr', null,
          h('th', { scope: 'col' }, 'Tracking number'),
          h('th', { scope: 'col' }, 'Status'),
          h('th', { scope: 'col' }, 'Destination'),
          h('th', { scope: 'col' }, 'Updated'))),
        tbody));
      if (total > size) {
        list.appendChild(h('nav', { 'class': 'pager', 'aria-label': 'Pages' },
          h('a', { id: 'page-prev', 'class': 'btn btn-ghost', href: page > 0 ? '#/packages?page=' + (page - 1) : null, 'aria-disabled': page > 0 ? null : 'true', hidden: page > 0 ? null : true }, '← Newer'),
          h('span', { id: 'page-info', 'class': 'muted' }, 'Page ' + (page + 1) + ' of ' + pages + ' · ' + total + ' packages'),
          h('a', { id: 'page-next', 'class': 'btn btn-ghost', href: page + 1 < pages ? '#/packages?page=' + (page + 1) : null, hidden: page + 1 < pages ? null : true }, 'Older →')));
      }
    }

    setIntro();
    load(false);
    var timer = setInterval(function () {
      if (document.visibilityState === 'visible') load(true);
    }, 15000);
    onCleanup(function () { clearInterval(timer); });
  }

  // ---------------------------------------------------------------- fleet

  function renderFleet(view, gen) {
    document.title = 'Fleet — mini-UPS';
    var tbody = h('tbody', { id: 'trucks' });
    var map = s('svg', { id: 'fleet-map', 'class': 'map', role: 'img', viewBox: '0 0 100 40' });
    var stamp = h('span', { 'class': 'muted', id: 'fleet-updated', role: 'status' });
    var tableWrap = h('div', { 'class': 'table-wrap' }, loadingEl('Loading trucks…'));
    view.appendChild(h('div', { 'class': 'page-head' }, h('h1', null, 'Fleet'), stamp));
    view.appendChild(h('div', { 'class': 'grid-2 grid-even' },
      h('section', { 'class': 'card', 'aria-label': 'Truck map' }, h('div', { 'class': 'map-wrap' }, map)),
      h('section', { 'class': 'card', 'aria-label': 'Trucks' }, tableWrap)));

    var failed = false;
    function load() {
      api('GET', '/api/trucks').then(function (r) {
        if (!isCurrent(gen)) return;
        if (!r.ok || !Array.isArray(r.data)) {
          if (!failed) showError(r.error || 'Could not load the fleet.');
          failed = true;
          if (tableWrap.querySelector('.loading')) tableWrap.replaceChildren(h('p', { 'class': 'muted' }, 'The fleet is not available right now.'));
          return;
        }
        if (failed) { hideError(); failed = false; }
        var trucks = r.data.slice().sort(function (a, b) { return a.truckId - b.truckId; });
        tbody.replaceChildren();
        trucks.forEach(function (t) {
          tbody.appendChild(h('tr', { 'data-truck-id': t.truckId },
            h('td', { 'data-label': 'Truck' }, h('strong', null, '#' + t.truckId)),
            h('td', { 'data-label': 'Status' }, badge(t.status)),
            h('td', { 'data-label': 'Position' }, xy(t.position)),
            h('td', { 'data-label': 'Packages aboard' }, String(t.packagesAboard == null ? 0 : t.packagesAboard))));
        });
        if (!trucks.length) {
          tableWrap.replaceChildren(h('div', { 'class': 'empty-state' }, h('h2', null, 'No trucks yet'),
            h('p', { 'class': 'muted' }, 'Trucks appear once mini-UPS is connected to the World.')));
        } else if (!tableWrap.contains(tbody)) {
          tableWrap.replaceChildren(h('table', { 'class': 'table table-stack' },
            h('caption', { 'class': 'sr-only' }, 'Trucks'),
            h('thead', null, h('tr', null,
              h('th', { scope: 'col' }, 'Truck'), h('th', { scope: 'col' }, 'Status'),
              h('th', { scope: 'col' }, 'Position'), h('th', { scope: 'col' }, 'Aboard'))),
            tbody));
        }
        var placed = trucks.filter(function (t) { return t.position; });
        // Each truck's planned route: from where it is, through the warehouse it is bound for, then its drops.
        var plans = placed.filter(function (t) { return Array.isArray(t.route) && t.route.length; }).map(function (t) {
          return { id: 'plan-' + t.truckId, truckId: t.truckId, points: [t.position].concat(t.route) };
        });
        drawMap(map, 'Positions and planned routes of ' + trucks.length + ' trucks', placed.map(function (t) {
          return { kind: 'truck', x: t.position.x, y: t.position.y, label: '#' + t.truckId, title: 'Truck #' + t.truckId + ' ' + t.status + ' ' + xy(t.position) };
        }), [], [], plans);
        stamp.textContent = 'Updated ' + new Date().toLocaleTimeString();
      });
    }
    load();
    var timer = setInterval(function () {
      if (document.visibilityState === 'visible') load();
    }, 3000);
    onCleanup(function () { clearInterval(timer); });
  }

  // ---------------------------------------------------------------- start

  function start() {
    $('error-close').addEventListener('click', hideError);
    var skip = $('skip-link');
    if (skip) {
      skip.addEventListener('click', function (e) {
        e.preventDefault();
        $('main').focus();
      });
    }
    // track.html-style links: /?tn=1Z...  ->  #/track/1Z...
    var params = new URLSearchParams(location.search);
    var tnParam = params.get('tn');
    if (tnParam && !location.hash) {
      history.replaceState(null, '', location.pathname + '#/track/' + encodeURIComponent(normalizeTn(tnParam)));
    }
    window.addEventListener('hashchange', route);
    renderAccount();
    loadMe().then(route, route);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
