/**
 * What the IDE page runs in the browser: a bearer-token bar above GraphiQL 3, and GraphiQL wired to the gateway.
 * Plain ES5 and React.createElement, served as it is written here (no bundler; GraphiQL, React and ReactDOM are the
 * globals of their UMD bundles). The page hands over its settings as data attributes on `#ide` (ide.ts).
 *
 * - The token lives in sessionStorage (this tab only, gone when it closes) and goes into the fetcher's headers, so
 *   the schema fetch carries it as well as every query. A new token makes a new fetcher, and GraphiQL fetches the
 *   schema again whenever its fetcher changes.
 * - `schema: null` tells GraphiQL not to fetch the schema: while introspection is off (the page says which setting
 *   enables it) and, with auth on, until a token is given (the fetch could only answer 401).
 * - The page posts to its own path: it is served at the GraphQL endpoint, whatever prefix a proxy puts in front.
 */

const DEFAULT_QUERY = `# recs-gateway: recommendations for one user.
# Run with the ▶ button; try recordPurchase to see the list change at once.
query Recommendations($userId: ID! = "u42") {
  recommendations(userId: $userId, first: 5) {
    userId
    modelVersion
    source
    ageSeconds
    generatedAt
    items { rank score item { id title category } }
  }
}
`;

export const IDE_SCRIPT = `(function () {
  'use strict';
  var h = React.createElement;
  var mount = document.getElementById('ide');
  var settings = {
    introspection: mount.getAttribute('data-introspection') === 'true',
    authRequired: mount.getAttribute('data-auth-required') === 'true',
    introspectionSetting: mount.getAttribute('data-introspection-setting')
  };
  var TOKEN_KEY = 'recs-gateway.ide.bearer-token';
  var endpoint = window.location.pathname;

  function storedToken() {
    try { return window.sessionStorage.getItem(TOKEN_KEY) || ''; } catch (error) { return ''; }
  }
  function storeToken(token) {
    try {
      if (token) window.sessionStorage.setItem(TOKEN_KEY, token); else window.sessionStorage.removeItem(TOKEN_KEY);
    } catch (error) { /* storage disabled: the token lasts until the page is left */ }
  }
  // A bare JWT, or a whole header value pasted from elsewhere ("Bearer eyJ...").
  function normalise(text) {
    return text.trim().replace(/^bearer\\s+/i, '').trim();
  }

  function notice(state) {
    if (state.refused) return 'The gateway refused this token (401): paste a valid one.';
    if (!settings.introspection) {
      return 'Schema docs are off: introspection is disabled on this gateway (the production default). ' +
        'Operators enable it with ' + settings.introspectionSetting + '=true. Queries still run.';
    }
    if (state.needsToken) return 'This gateway requires a bearer token: paste one to load the schema docs and run queries.';
    return '';
  }

  function App() {
    var tokenState = React.useState(storedToken);
    var token = tokenState[0];
    var setToken = tokenState[1];
    var draftState = React.useState(token);
    var draft = draftState[0];
    var setDraft = draftState[1];
    var refusedState = React.useState(false);
    var refused = refusedState[0];
    var setRefused = refusedState[1];

    var fetcher = React.useMemo(function () {
      return GraphiQL.createFetcher({
        url: endpoint,
        headers: token ? { authorization: 'Bearer ' + token } : {},
        fetch: function (input, init) {
          return window.fetch(input, init).then(function (response) {
            setRefused(response.status === 401);
            return response;
          });
        }
      });
    }, [token]);

    var needsToken = settings.authRequired && !token;
    var schema = !settings.introspection || needsToken ? null : undefined;

    function use(event) {
      event.preventDefault();
      var next = normalise(draft);
      storeToken(next);
      setDraft(next);
      setRefused(false);
      setToken(next);
    }
    function clear() {
      storeToken('');
      setDraft('');
      setRefused(false);
      setToken('');
    }

    return h(React.Fragment, null,
      h('form', { className: 'recs-ide-bar', onSubmit: use },
        h('label', { htmlFor: 'recs-ide-token' }, 'Bearer token'),
        h('input', {
          id: 'recs-ide-token',
          name: 'token',
          type: 'password',
          autoComplete: 'off',
          spellCheck: false,
          placeholder: settings.authRequired ? 'required: paste a JWT' : 'optional: authentication is off',
          value: draft,
          onChange: function (event) { setDraft(event.target.value); }
        }),
        h('button', { type: 'submit' }, 'Use token'),
        h('button', { type: 'button', onClick: clear }, 'Clear'),
        h('output', { className: 'recs-ide-notice', htmlFor: 'recs-ide-token' }, notice({ refused: refused, needsToken: needsToken }))
      ),
      h('div', { className: 'recs-ide-graphiql' },
        h(GraphiQL, { fetcher: fetcher, schema: schema, defaultQuery: ${JSON.stringify(DEFAULT_QUERY)} })
      )
    );
  }

  ReactDOM.createRoot(mount).render(h(App));
})();
`;

export const IDE_STYLES = `html, body, #ide { height: 100%; margin: 0; }
#ide { display: flex; flex-direction: column; }
.recs-ide-bar {
  display: flex; flex-wrap: wrap; align-items: center; gap: 8px;
  padding: 6px 12px; border-bottom: 1px solid hsla(219, 28%, 32%, 0.1);
  font: 14px/1.4 system-ui, sans-serif;
}
.recs-ide-bar input { flex: 0 1 32em; min-width: 12em; font: inherit; padding: 2px 6px; }
.recs-ide-bar button { font: inherit; padding: 2px 10px; }
.recs-ide-notice { color: #9a4d00; }
.recs-ide-graphiql { flex: 1 1 auto; min-height: 0; }
.recs-ide-graphiql > .graphiql-container { height: 100%; }
`;
