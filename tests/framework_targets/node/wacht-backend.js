'use strict';
// Wacht Backend API — Create workspace (POST https://api.wacht.dev/workspaces).
// Written from Wacht's backend "Create workspace" page (multipart/form-data,
// cookie `session_id`, envelope {status, message, data, session, errors}) plus
// the outside facts (401 without a session, 403 outside the organization,
// 400 on validation). See NOTES.md for every undocumented choice.
//
// Usage: node wacht-backend.js --port N --credential SECRET [--organization ID]

const crypto = require('crypto');
const express = require('express');
const multer = require('multer');

const UINT64_MAX = (1n << 64n) - 1n;
const UINT64_RE = /^[0-9]+$/;

// ---------------------------------------------------------------- arguments
function parseUint64(value) {
  if (typeof value !== 'string' || !UINT64_RE.test(value)) return null;
  const n = BigInt(value);
  return n <= UINT64_MAX ? n : null;
}

function parseArgs(argv) {
  const opts = { port: 0, credential: undefined, organization: '123456789012345678' };
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
  if (parseUint64(opts.organization) === null) throw new Error('--organization must be a uint64 decimal string');
  return opts;
}

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`wacht-backend.js: ${err.message}\n`);
  process.exit(2);
}

// ---------------------------------------------------------------- state
// Snowflake-style 64-bit IDs rendered as decimal strings.
let sequence = 0n;
function newId() {
  sequence = (sequence + 1n) & 0xfffn;
  const ms = BigInt(Date.now()) - 1577836800000n; // custom epoch 2020-01-01
  const worker = BigInt(crypto.randomInt(0, 1024));
  return ((ms << 22n) | (worker << 12n) | sequence).toString();
}

const SESSION = (() => {
  const now = new Date().toISOString();
  return { id: newId(), created_at: now, updated_at: now };
})();
const USER_ID = newId();

// The one organization the session's user is a member of, keyed by its numeric value.
const organizations = new Map([
  [parseUint64(opts.organization), {
    id: parseUint64(opts.organization).toString(),
    memberships: new Map([[USER_ID, newId()]]), // user_id -> organization_membership_id
  }],
]);
const workspaces = new Map(); // id -> workspace
const workspaceMemberships = new Map(); // id -> membership
const images = new Map(); // workspace id -> { buffer, mimetype }

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

function sendError(res, status, message, errors, session) {
  res.status(status).json({
    status,
    message,
    data: null,
    session: session === undefined ? SESSION : session,
    errors,
  });
}

function requireSession(req, res, next) {
  const token = parseCookies(req.get('cookie')).session_id;
  if (!token || !safeEqual(token, opts.credential)) {
    return sendError(res, 401, 'Unauthorized', [
      { code: 'INVALID_CREDENTIALS', message: 'Invalid credentials. Please try again.' },
    ], null);
  }
  req.userId = USER_ID;
  next();
}

function requireMultipart(req, res, next) {
  if (!req.is('multipart/form-data')) {
    return sendError(res, 400, 'Bad Request', [
      { code: 'BAD_REQUEST_BODY', message: 'Content-Type must be multipart/form-data' },
    ]);
  }
  next();
}

const upload = multer({
  storage: multer.memoryStorage(),
  limits: { fileSize: 5 * 1024 * 1024, files: 1, fields: 20, fieldSize: 64 * 1024 },
}).single('image');

// Runs multer and answers any failure to read the form (malformed multipart,
// unexpected file field, limits exceeded) in the documented envelope.
function parseForm(req, res, next) {
  upload(req, res, (err) => {
    if (!err) return next();
    if (err instanceof multer.MulterError && (err.code === 'LIMIT_FILE_SIZE' || err.code === 'LIMIT_FIELD_VALUE')) {
      return sendError(res, 413, 'Payload Too Large', [
        { code: 'BAD_REQUEST_BODY', message: err.field ? `${err.message}: ${err.field}` : err.message },
      ]);
    }
    const message = err instanceof multer.MulterError && err.field ? `${err.message}: ${err.field}` : err.message;
    return sendError(res, 400, 'Bad Request', [
      { code: 'BAD_REQUEST_BODY', message: `Invalid multipart body: ${message}` },
    ]);
  });
}

// ---------------------------------------------------------------- app
const app = express();
app.disable('x-powered-by');
// Run as production unless told otherwise: Express's default error pages then
// carry no stack traces.
app.set('env', process.env.NODE_ENV || 'production');

app.post('/workspaces', requireSession, requireMultipart, parseForm, (req, res) => {
  const body = req.body || {};
  const { name, organization_id: organizationId, description } = body;

  const errors = [];
  if (name === undefined || name === '') {
    errors.push({ code: 'REQUIRED_FIELD', message: 'name is required' });
  } else if (typeof name !== 'string') {
    errors.push({ code: 'INVALID_FIELD', message: 'name must be a single value' });
  }
  let orgKey = null;
  if (organizationId === undefined || organizationId === '') {
    errors.push({ code: 'REQUIRED_FIELD', message: 'organization_id is required' });
  } else {
    orgKey = parseUint64(organizationId);
    if (orgKey === null) {
      errors.push({ code: 'INVALID_FIELD', message: 'organization_id must be an unsigned 64-bit integer' });
    }
  }
  if (description !== undefined && typeof description !== 'string') {
    errors.push({ code: 'INVALID_FIELD', message: 'description must be a single value' });
  }
  if (req.file && !/^image\//i.test(req.file.mimetype)) {
    errors.push({ code: 'INVALID_FIELD', message: 'image must be an image file' });
  }
  if (errors.length > 0) {
    return sendError(res, 400, 'Bad Request', errors);
  }

  const org = organizations.get(orgKey);
  const orgMembershipId = org && org.memberships.get(req.userId);
  if (!orgMembershipId) {
    return sendError(res, 403, 'Forbidden', [
      { code: 'FORBIDDEN', message: 'You are not a member of this organization' },
    ]);
  }

  const now = new Date().toISOString();
  const id = newId();
  let imageUrl = null;
  if (req.file) {
    images.set(id, { buffer: req.file.buffer, mimetype: req.file.mimetype });
    imageUrl = `https://cdn.wacht.dev/workspaces/${id}/logo`;
  }
  const workspace = {
    id,
    organization_id: org.id,
    name,
    description: description === undefined ? null : description,
    image_url: imageUrl,
    whitelisted_ips: [],
    enable_ip_restriction: false,
    enforce_mfa: false,
    member_count: 1,
    public_metadata: {},
    private_metadata: {},
    created_at: now,
    updated_at: now,
  };
  const membership = {
    id: newId(),
    workspace_id: id,
    organization_membership_id: orgMembershipId,
    user_id: req.userId,
    created_at: now,
    updated_at: now,
  };
  workspaces.set(id, workspace);
  workspaceMemberships.set(membership.id, membership);

  res.status(200).json({
    status: 200,
    message: '',
    data: { workspace, membership },
    session: SESSION,
    errors: null,
  });
});

// Documented envelope for everything else.
app.use((req, res) => {
  sendError(res, 404, 'Not Found', [{ code: 'NOT_FOUND', message: `${req.method} ${req.path} not found` }], null);
});

// eslint-disable-next-line no-unused-vars
app.use((err, req, res, next) => {
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
