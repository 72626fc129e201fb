'use strict';
// d3lay — Create a new workspace (POST /workspaces).
// Written from d3lay's "Create a new workspace" API page. See NOTES.md for
// every undocumented choice.
//
// Usage: node d3lay.js --port N --credential SECRET [--organization ID]

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
  process.stderr.write(`d3lay.js: ${err.message}\n`);
  process.exit(2);
}

// ---------------------------------------------------------------- state
// The single bearer token identifies a single user.
const USER_ID = crypto.randomUUID();
const workspaces = new Map(); // id -> workspace
const WORKSPACE_TYPES = ['single_user', 'multi_user'];
const SUPPORTED_VERSIONS = ['v1'];
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
    return res.status(401).json({ error: 'unauthorized', message: 'Invalid or missing bearer token' });
  }
  req.userId = USER_ID;
  next();
}

function requireApiVersion(req, res, next) {
  const version = req.get('x-api-version');
  if (version !== undefined && !SUPPORTED_VERSIONS.includes(version)) {
    return res.status(400).json({
      error: 'bad_request',
      message: `Unsupported X-API-Version '${version}'; available options: ${SUPPORTED_VERSIONS.join(', ')}`,
    });
  }
  next();
}

function badRequest(res, message) {
  return res.status(400).json({ error: 'bad_request', message });
}

function isNonEmptyString(v) {
  return typeof v === 'string' && v.length > 0;
}

// ---------------------------------------------------------------- app
const app = express();
app.disable('x-powered-by');
// Run as production unless told otherwise: Express's default error pages then
// carry no stack traces.
app.set('env', process.env.NODE_ENV || 'production');

app.post('/workspaces', requireBearer, requireApiVersion, express.json(), (req, res) => {
  const body = req.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return badRequest(res, 'Request body must be a JSON object');
  }
  const { identifier, name, workspace_type: workspaceType, owner_id: ownerId, domain_name: domainName } = body;

  if (!isNonEmptyString(identifier)) {
    return badRequest(res, 'identifier is required and must be a non-empty string');
  }
  if (!isNonEmptyString(name)) {
    return badRequest(res, 'name is required and must be a non-empty string');
  }
  if (!WORKSPACE_TYPES.includes(workspaceType)) {
    return badRequest(res, `workspace_type is required and must be one of: ${WORKSPACE_TYPES.join(', ')}`);
  }
  if (ownerId != null && (typeof ownerId !== 'string' || !UUID_RE.test(ownerId))) {
    return badRequest(res, 'owner_id must be a UUID');
  }
  if (domainName != null && typeof domainName !== 'string') {
    return badRequest(res, 'domain_name must be a string');
  }

  for (const ws of workspaces.values()) {
    if (ws.identifier === identifier) {
      return res.status(409).json({
        error: 'conflict',
        message: `A workspace with identifier '${identifier}' already exists`,
      });
    }
  }

  const now = new Date().toISOString();
  const workspace = {
    id: crypto.randomUUID(),
    identifier,
    name,
    owner_id: ownerId != null ? ownerId.toLowerCase() : req.userId,
    workspace_type: workspaceType,
    domain_name: domainName != null ? domainName : undefined, // omitted when not given
    created_at: now,
    updated_at: now,
    created_by: req.userId,
    updated_by: req.userId,
  };
  workspaces.set(workspace.id, workspace);
  res.status(201).location(`/workspaces/${workspace.id}`).json(workspace);
});

// Malformed JSON, oversized bodies and 404s keep Express's default handling:
// the page documents no answer for them.

const server = app.listen(opts.port, '127.0.0.1', () => {
  process.stdout.write(`listening on ${server.address().port}\n`);
});

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => process.exit(0));
}
