'use strict';
// Anthropic Admin API — Create Workspace (POST /v1/organizations/workspaces).
// Written from the "Create Workspace - Claude API Reference" page plus the
// documented Anthropic error shape. See NOTES.md for every undocumented choice.
//
// Usage: node anthropic.js --port N --credential SECRET [--organization ID]

const crypto = require('crypto');
const express = require('express');

// ---------------------------------------------------------------- arguments
function parseArgs(argv) {
  const opts = { port: 0, credential: undefined, organization: undefined };
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
  return opts;
}

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`anthropic.js: ${err.message}\n`);
  process.exit(2);
}

// ---------------------------------------------------------------- state
const workspaces = new Map(); // id -> workspace

const DISPLAY_COLORS = ['#6C5BB9', '#D4A27F', '#2E7D6F', '#C4553B', '#3B6FC4', '#8A8F3B'];
const ID_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function newWorkspaceId() {
  const bytes = crypto.randomBytes(24);
  let out = '';
  for (const b of bytes) out += ID_ALPHABET[b % ID_ALPHABET.length];
  return `wrkspc_${out}`;
}

// ---------------------------------------------------------------- helpers
function sendError(res, status, type, message) {
  res.status(status).json({ type: 'error', error: { type, message } });
}

function safeEqual(a, b) {
  const ha = crypto.createHash('sha256').update(String(a)).digest();
  const hb = crypto.createHash('sha256').update(String(b)).digest();
  return crypto.timingSafeEqual(ha, hb);
}

function requireApiKey(req, res, next) {
  const key = req.get('x-api-key');
  if (!key) {
    return sendError(res, 401, 'authentication_error', 'x-api-key header is required');
  }
  if (!safeEqual(key, opts.credential)) {
    return sendError(res, 401, 'authentication_error', 'invalid x-api-key');
  }
  next();
}

// ---------------------------------------------------------------- app
const app = express();
app.disable('x-powered-by');
// Run as production unless told otherwise: Express's default error pages then
// carry no stack traces.
app.set('env', process.env.NODE_ENV || 'production');

app.post('/v1/organizations/workspaces', requireApiKey, express.json(), (req, res) => {
  const body = req.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return sendError(res, 400, 'invalid_request_error', 'request body must be a JSON object');
  }
  const { name } = body;
  if (name === undefined) {
    return sendError(res, 400, 'invalid_request_error', 'name: Field required');
  }
  if (typeof name !== 'string') {
    return sendError(res, 400, 'invalid_request_error', 'name: Input should be a valid string');
  }
  if (name.length < 1) {
    return sendError(res, 400, 'invalid_request_error', 'name: String should have at least 1 character');
  }
  if (name.length > 40) {
    return sendError(res, 400, 'invalid_request_error', 'name: String should have at most 40 characters');
  }

  const workspace = {
    id: newWorkspaceId(),
    archived_at: null,
    created_at: new Date().toISOString(),
    display_color: DISPLAY_COLORS[crypto.randomInt(DISPLAY_COLORS.length)],
    name,
    type: 'workspace',
  };
  workspaces.set(workspace.id, workspace);
  res.status(200).json(workspace);
});

// Anything else: JSON not_found_error instead of Express's HTML page.
app.use((req, res) => {
  sendError(res, 404, 'not_found_error', `${req.method} ${req.path} not found`);
});

// Body-parser and unexpected errors, in Anthropic's error shape.
// eslint-disable-next-line no-unused-vars
app.use((err, req, res, next) => {
  if (err.type === 'entity.parse.failed') {
    return sendError(res, 400, 'invalid_request_error', 'request body is not valid JSON');
  }
  if (err.type === 'entity.too.large') {
    return sendError(res, 413, 'request_too_large', 'request exceeds the maximum allowed size');
  }
  if (err.status && err.status >= 400 && err.status < 500) {
    return sendError(res, err.status, 'invalid_request_error', err.message || 'invalid request');
  }
  process.stderr.write(`${err.stack || err}\n`);
  sendError(res, 500, 'api_error', 'internal server error');
});

const server = app.listen(opts.port, '127.0.0.1', () => {
  process.stdout.write(`listening on ${server.address().port}\n`);
});

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => process.exit(0));
}
