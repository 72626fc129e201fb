'use strict';
// Orgo — Create workspace (POST https://www.orgo.ai/api/workspaces).
// Written from Orgo's "Create workspace" API page. See NOTES.md for every
// undocumented choice.
//
// Usage: node orgo.js --port N --credential SECRET [--organization ID]

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
  process.stderr.write(`orgo.js: ${err.message}\n`);
  process.exit(2);
}

// ---------------------------------------------------------------- state
// The single API key belongs to a single user; workspaces are per user.
const USER_ID = crypto.randomUUID();
const workspaces = new Map(); // id -> workspace
const STATUSES = ['active', 'inactive'];

// ---------------------------------------------------------------- helpers
function safeEqual(a, b) {
  const ha = crypto.createHash('sha256').update(String(a)).digest();
  const hb = crypto.createHash('sha256').update(String(b)).digest();
  return crypto.timingSafeEqual(ha, hb);
}

function requireBearer(req, res, next) {
  const header = req.get('authorization') || '';
  const match = /^Bearer\s+(.+)$/i.exec(header);
  if (!match || !safeEqual(match[1].trim(), opts.credential)) {
    res.set('WWW-Authenticate', 'Bearer');
    return res.status(401).json({ error: 'Invalid or missing API key' });
  }
  req.userId = USER_ID;
  next();
}

function badRequest(res, message) {
  return res.status(400).json({ error: message });
}

// ---------------------------------------------------------------- app
const app = express();
app.disable('x-powered-by');
// Run as production unless told otherwise: Express's default error pages then
// carry no stack traces.
app.set('env', process.env.NODE_ENV || 'production');

app.post('/api/workspaces', requireBearer, express.json(), (req, res) => {
  const body = req.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return badRequest(res, 'Request body must be a JSON object');
  }
  const { name, icon_url: iconUrl, status = 'active' } = body;

  if (name === undefined || name === null) {
    return badRequest(res, 'Name is required');
  }
  if (typeof name !== 'string') {
    return badRequest(res, 'Name must be a string');
  }
  if (name.length < 1) {
    return badRequest(res, 'Name is empty');
  }
  if (iconUrl !== undefined && iconUrl !== null && typeof iconUrl !== 'string') {
    return badRequest(res, 'icon_url must be a string');
  }
  if (!STATUSES.includes(status)) {
    return badRequest(res, 'status must be one of: active, inactive');
  }

  for (const ws of workspaces.values()) {
    if (ws.user_id === req.userId && ws.name === name) {
      return badRequest(res, 'A workspace with this name already exists');
    }
  }

  const now = new Date().toISOString();
  const workspace = {
    id: crypto.randomUUID(),
    name,
    user_id: req.userId,
    status,
    icon_url: iconUrl == null ? null : iconUrl,
    created_at: now,
    updated_at: now,
  };
  workspaces.set(workspace.id, workspace);
  res.status(201).json(workspace);
});

// Malformed JSON, oversized bodies and 404s keep Express's default handling:
// the page documents no answer for them.

const server = app.listen(opts.port, '127.0.0.1', () => {
  process.stdout.write(`listening on ${server.address().port}\n`);
});

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => process.exit(0));
}
