'use strict';
// Wacht Frontend API — Create workspace (POST https://{deploymentHost}/workspaces).
// Written from Wacht's frontend "Create workspace" page plus the outside facts
// (session cookie `__session`; 401 without an active sign-in, 403 outside the
// organization, 400 on validation; error entries {code, message}).
// See NOTES.md for every undocumented choice.
//
// Usage: node wacht-frontend.js --port N --credential SECRET [--organization ID]

const crypto = require('crypto');
const express = require('express');

// ---------------------------------------------------------------- arguments
function parseArgs(argv) {
  const opts = { port: 0, credential: undefined, organization: 'org_456789123' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`missing value for ${arg}`);
      return argv[++i];
    };
    if (arg === '--port') opts.port = Number(next());
    else if (arg === '--credential') opts.credential = next();
    else if (arg === '--organization') opts.organization = next();
    else throw new Error(`unknown argument: ${arg}`);
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    throw new Error('--port must be an integer between 0 and 65535');
  }
  if (!opts.credential) throw new Error('--credential is required');
  if (!opts.organization) throw new Error('--organization must not be empty');
  return opts;
}

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`wacht-frontend.js: ${err.message}\n`);
  process.exit(2);
}

// ---------------------------------------------------------------- state
function randomDigits(n) {
  let s = String(crypto.randomInt(1, 10));
  while (s.length < n) s += String(crypto.randomInt(0, 10));
  return s;
}

const SESSION_CREATED_AT = new Date().toISOString();
const USER_ID = `user_${randomDigits(9)}`;
const SIGNIN = { id: `signin_${randomDigits(9)}`, user_id: USER_ID, created_at: SESSION_CREATED_AT };

// The one organization the signed-in user belongs to.
const organizations = new Map([
  [opts.organization, {
    id: opts.organization,
    name: opts.organization,
    slug: opts.organization.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, ''),
    members: new Set([USER_ID]),
  }],
]);
const workspaces = new Map(); // id -> workspace record

// ---------------------------------------------------------------- helpers
function safeEqual(a, b) {
  const ha = crypto.createHash('sha256').update(String(a)).digest();
  const hb = crypto.createHash('sha256').update(String(b)).digest();
  return crypto.timingSafeEqual(ha, hb);
}

// Minimal Cookie header parser (RFC 6265 `name=value; name2=value2`).
function parseCookies(header) {
  const cookies = {};
  if (!header) return cookies;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    let val = part.slice(eq + 1).trim();
    if (val.length >= 2 && val.startsWith('"') && val.endsWith('"')) val = val.slice(1, -1);
    if (!(key in cookies)) {
      try {
        cookies[key] = decodeURIComponent(val);
      } catch (_) {
        cookies[key] = val;
      }
    }
  }
  return cookies;
}

function signedInSession() {
  return {
    signin_attempts: [],
    signins: [SIGNIN],
    signup_attempts: [],
    active_signin: SIGNIN,
  };
}

function anonymousSession() {
  return { signin_attempts: [], signins: [], signup_attempts: [], active_signin: null };
}

function sendError(res, status, message, errors, session) {
  res.status(status).json({
    status,
    message,
    data: null,
    session: session || anonymousSession(),
    errors,
  });
}

function requireSession(req, res, next) {
  const token = parseCookies(req.get('cookie')).__session;
  if (!token || !safeEqual(token, opts.credential)) {
    return sendError(res, 401, 'Unauthorized', [
      { code: 'UNAUTHORIZED', message: 'No active sign-in for this session' },
    ]);
  }
  req.userId = USER_ID;
  next();
}

// ---------------------------------------------------------------- app
const app = express();
app.disable('x-powered-by');
// Run as production unless told otherwise: Express's default error pages then
// carry no stack traces.
app.set('env', process.env.NODE_ENV || 'production');

app.post('/workspaces', requireSession, express.json(), (req, res) => {
  const session = signedInSession();
  const body = req.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return sendError(res, 400, 'Bad Request', [
      { code: 'BAD_REQUEST_BODY', message: 'Request body must be a JSON object' },
    ], session);
  }
  const { name, description, organization_id: organizationId } = body;

  const errors = [];
  for (const [field, value] of [['name', name], ['organization_id', organizationId]]) {
    if (value === undefined || value === null || value === '') {
      errors.push({ code: 'REQUIRED_FIELD', message: `${field} is required` });
    } else if (typeof value !== 'string') {
      errors.push({ code: 'BAD_REQUEST_BODY', message: `${field} must be a string` });
    }
  }
  if (description !== undefined && description !== null && typeof description !== 'string') {
    errors.push({ code: 'BAD_REQUEST_BODY', message: 'description must be a string' });
  }
  if (errors.length > 0) {
    return sendError(res, 400, 'Bad Request', errors, session);
  }

  const org = organizations.get(organizationId);
  if (!org || !org.members.has(req.userId)) {
    return sendError(res, 403, 'Forbidden', [
      { code: 'FORBIDDEN', message: 'You are not a member of this organization' },
    ], session);
  }

  const now = new Date().toISOString();
  const workspace = {
    id: `workspace_${randomDigits(9)}`,
    name,
    description: description == null ? null : description,
    organization: { id: org.id, name: org.name, slug: org.slug },
    members_count: 1,
    created_at: now,
    updated_at: now,
  };
  workspaces.set(workspace.id, { ...workspace, members: [req.userId] });

  res.status(201).json({
    status: 201,
    message: '',
    data: { workspace },
    session,
    errors: [],
  });
});

// Documented envelope for everything else.
app.use((req, res) => {
  sendError(res, 404, 'Not Found', [{ code: 'NOT_FOUND', message: `${req.method} ${req.path} not found` }]);
});

// eslint-disable-next-line no-unused-vars
app.use((err, req, res, next) => {
  if (err.type === 'entity.parse.failed') {
    return sendError(res, 400, 'Bad Request', [
      { code: 'BAD_REQUEST_BODY', message: 'Request body is not valid JSON' },
    ], signedInSession());
  }
  if (err.type === 'entity.too.large') {
    return sendError(res, 413, 'Payload Too Large', [
      { code: 'BAD_REQUEST_BODY', message: 'Request body is too large' },
    ], signedInSession());
  }
  if (err.status && err.status >= 400 && err.status < 500) {
    return sendError(res, err.status, 'Bad Request', [
      { code: 'BAD_REQUEST_BODY', message: err.message || 'Invalid request body' },
    ], signedInSession());
  }
  process.stderr.write(`${err.stack || err}\n`);
  sendError(res, 500, 'Internal Server Error', [
    { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' },
  ]);
});

const server = app.listen(opts.port, '127.0.0.1', () => {
  process.stdout.write(`listening on ${server.address().port}\n`);
});

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => process.exit(0));
}
