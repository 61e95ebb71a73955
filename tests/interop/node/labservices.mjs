#!/usr/bin/env node
// JupyterLab's own client library (@jupyterlab/services) driving a Jupyter server the way
// JupyterLab does: kernel specs, contents and checkpoints, a notebook session, execution, a comm
// round trip, interrupt, restart, session rename, shutdown, delete.
//
//   node labservices.mjs --url http://127.0.0.1:8888/ --token T [--protocol v1|legacy|fallback]
//                        [--no-buffers]
//
// (or LABSERVICES_URL / LABSERVICES_TOKEN in the environment). Prints one JSON line per step on
// stdout ({"step", "ok", "ms", ...}); the first failing step prints {"ok": false, "error"} and
// the script exits 1. The library's own console output goes to stderr.
//
// --protocol v1 (default) lets the library offer `v1.kernel.websocket.jupyter.org`, as
// JupyterLab does. --protocol legacy hands the library a WebSocket constructor that offers no
// subprotocol, which is exactly how the library itself retries against a server that does not
// pick one: the server must then answer without one and speak the legacy JSON framing.
// --protocol fallback leaves the library alone and expects the server to pick no subprotocol
// (a server that only speaks legacy, or jupyter_server's gateway front): the library's first
// websocket fails on that, and it must reconnect without one and go on in the legacy framing.
// --no-buffers leaves binary buffers out of the comm round trip (for fronts that cannot relay
// binary frames, such as jupyter_server's gateway websocket).

import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const services = require('@jupyterlab/services');
const WebSocket = require('ws');

const {
  ServerConnection,
  KernelSpecManager,
  ContentsManager,
  KernelManager,
  SessionManager,
  KernelAPI,
  SessionAPI
} = services;

const V1 = 'v1.kernel.websocket.jupyter.org';

// -- output ------------------------------------------------------------------------------------

const stdoutWrite = process.stdout.write.bind(process.stdout);
function emit(record) {
  stdoutWrite(JSON.stringify(record) + '\n');
}
// Keep stdout for the step records: the library logs with console.log/debug/warn.
for (const name of ['log', 'debug', 'info', 'warn', 'error']) {
  console[name] = (...args) => process.stderr.write(`[labservices ${name}] ${args.join(' ')}\n`);
}

let currentStep = 'setup';
// The last messages the kernel connection received, shown with a failure.
const recent = [];
let clientSession;
function remember(msg) {
  const parent = msg.parent_header || {};
  recent.push({
    channel: msg.channel,
    type: msg.header.msg_type,
    state: msg.content && msg.content.execution_state,
    parent: parent.msg_type,
    parent_id: parent.msg_id && String(parent.msg_id).slice(0, 12),
    own: parent.session === undefined ? undefined : parent.session === clientSession,
    session: String(msg.header.session).slice(0, 8),
    text: msg.content && msg.content.text && String(msg.content.text).slice(0, 300)
  });
  if (recent.length > 40) {
    recent.shift();
  }
}
function fail(error) {
  emit({
    step: currentStep,
    ok: false,
    error: String((error && error.stack) || error),
    recent_messages: recent
  });
  process.exit(1);
}
// The library throws validation errors from inside websocket callbacks: they must fail the step.
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

// Progress inside a step, on stderr (the test shows it when a step fails).
function note(text) {
  process.stderr.write(`[labservices step ${currentStep}] ${text}\n`);
}

function check(condition, message, detail) {
  if (!condition) {
    throw new Error(detail === undefined ? message : `${message}: ${JSON.stringify(detail)}`);
  }
}

async function step(name, body, timeoutMs = 30000) {
  currentStep = name;
  const started = performance.now();
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const detail = await Promise.race([body(), timeout]);
    emit({ step: name, ok: true, ms: Math.round(performance.now() - started), ...(detail || {}) });
    return detail;
  } catch (error) {
    fail(error);
  } finally {
    clearTimeout(timer);
  }
}

function waitFor(predicate, what, timeoutMs = 20000) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      const value = predicate();
      if (value) {
        resolve(value);
      } else if (Date.now() - started > timeoutMs) {
        reject(new Error(`waited ${timeoutMs} ms for ${what}`));
      } else {
        setTimeout(poll, 20);
      }
    };
    poll();
  });
}

// -- arguments ---------------------------------------------------------------------------------

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.LABSERVICES_URL },
    token: { type: 'string', default: process.env.LABSERVICES_TOKEN },
    protocol: { type: 'string', default: process.env.LABSERVICES_PROTOCOL || 'v1' },
    'no-buffers': { type: 'boolean', default: false }
  }
});
if (!args.url || args.token === undefined) {
  fail(new Error('give --url and --token (or LABSERVICES_URL and LABSERVICES_TOKEN)'));
}
if (!['v1', 'legacy', 'fallback'].includes(args.protocol)) {
  fail(new Error(`--protocol is v1, legacy or fallback, not ${args.protocol}`));
}
const legacy = args.protocol === 'legacy';
const expectedProtocol = args.protocol === 'v1' ? V1 : '';
const withBuffers = !args['no-buffers'];
const baseUrl = args.url.endsWith('/') ? args.url : args.url + '/';
const wsUrl = 'ws' + baseUrl.slice(4);

// Every websocket the library opens, to see which framing the server chose and that a restart
// makes the library reconnect.
const sockets = [];
class ClientWebSocket extends WebSocket {
  constructor(url, protocols, options) {
    const offered = legacy ? [] : protocols;
    super(url, offered, options);
    this.offered = [...offered];
    sockets.push(this);
  }
}

const serverSettings = ServerConnection.makeSettings({
  baseUrl,
  wsUrl,
  token: args.token,
  appendToken: true,
  WebSocket: ClientWebSocket
});

// -- helpers -----------------------------------------------------------------------------------

function ofType(messages, type) {
  return messages.filter(m => m.header.msg_type === type);
}

async function execute(kernel, code) {
  const future = kernel.requestExecute({ code, stop_on_error: true });
  const iopub = [];
  future.onIOPub = msg => iopub.push(msg);
  const reply = await future.done;
  const stdout = ofType(iopub, 'stream')
    .filter(m => m.content.name === 'stdout')
    .map(m => m.content.text)
    .join('');
  const result = ofType(iopub, 'execute_result')[0];
  return { reply, iopub, stdout, result: result ? result.content.data['text/plain'] : undefined };
}

async function executeOk(kernel, code) {
  const outcome = await execute(kernel, code);
  check(outcome.reply.content.status === 'ok', `"${code}" failed`, outcome.reply.content);
  return outcome;
}

function bytesOf(buffer) {
  const view = ArrayBuffer.isView(buffer)
    ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
    : new Uint8Array(buffer);
  return Array.from(view);
}

function notebook(sources) {
  return {
    cells: sources.map((source, index) => ({
      cell_type: 'code',
      id: `cell-${index}`,
      source,
      metadata: {},
      outputs: [],
      execution_count: null
    })),
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' }
    },
    nbformat: 4,
    nbformat_minor: 5
  };
}

// -- the steps ---------------------------------------------------------------------------------

const specsManager = new KernelSpecManager({ serverSettings });
const contents = new ContentsManager({ serverSettings });
const kernelManager = new KernelManager({ serverSettings });
const sessionManager = new SessionManager({ kernelManager, serverSettings });

await step('kernelspecs', async () => {
  await specsManager.ready;
  await specsManager.refreshSpecs();
  const specs = specsManager.specs;
  check(specs && specs.default === 'python3', 'the default kernel spec is not python3', specs);
  const python = specs.kernelspecs.python3;
  check(python && python.language === 'python', 'python3 is not a python spec', python);
  check(python.display_name, 'python3 has no display_name', python);
  return { default: specs.default, names: Object.keys(specs.kernelspecs) };
});

let path;
let checkpointId;
await step('contents', async () => {
  const created = await contents.newUntitled({ path: '', type: 'notebook' });
  check(created.type === 'notebook' && created.path.endsWith('.ipynb'), 'new untitled', created);
  path = created.path;
  const saved = await contents.save(path, {
    type: 'notebook',
    format: 'json',
    content: notebook(['print("first")'])
  });
  check(saved.path === path && saved.type === 'notebook', 'save answered', saved);
  const read = await contents.get(path, { content: true });
  check(read.content.cells.length === 1, 'the saved notebook reads back', read.content);
  check(read.content.cells[0].source === 'print("first")', 'cell source', read.content.cells[0]);

  const checkpoint = await contents.createCheckpoint(path);
  check(checkpoint.id && checkpoint.last_modified, 'checkpoint model', checkpoint);
  checkpointId = checkpoint.id;
  const listed = await contents.listCheckpoints(path);
  check(listed.length === 1 && listed[0].id === checkpoint.id, 'listed checkpoints', listed);

  await contents.save(path, {
    type: 'notebook',
    format: 'json',
    content: notebook(['print("second")', 'x = 2'])
  });
  const changed = await contents.get(path);
  check(changed.content.cells.length === 2, 'the second save reads back', changed.content);
  await contents.restoreCheckpoint(path, checkpoint.id);
  const restored = await contents.get(path);
  check(
    restored.content.cells.length === 1 && restored.content.cells[0].source === 'print("first")',
    'the restored notebook is the checkpointed one',
    restored.content
  );
  return { path, checkpoint: checkpoint.id };
});

let session;
let kernel;
await step(
  'session_start',
  async () => {
    await sessionManager.ready;
    session = await sessionManager.startNew({
      path,
      type: 'notebook',
      name: path,
      kernel: { name: 'python3' }
    });
    kernel = session.kernel;
    check(kernel, 'the session has no kernel');
    clientSession = kernel.clientId;
    kernel.anyMessage.connect((_, { msg, direction }) => {
      if (direction === 'recv') {
        remember(msg);
      }
    });
    const info = await kernel.info;
    check(info.language_info.name === 'python', 'kernel_info language', info.language_info);
    await waitFor(() => kernel.connectionStatus === 'connected', 'a connected websocket');
    const socket = sockets.at(-1);
    check(
      socket.protocol === expectedProtocol,
      `the server chose subprotocol "${socket.protocol}", expected "${expectedProtocol}"`
    );
    if (args.protocol === 'fallback') {
      check(sockets[0].offered.includes(V1), 'the first websocket did not offer v1');
      check(sockets.length >= 2 && socket.offered.length === 0, 'no fallback to legacy happened');
    }
    const models = await SessionAPI.listRunning(serverSettings);
    const model = models.find(m => m.id === session.id);
    check(model && model.path === path && model.kernel.id === kernel.id, 'session listed', models);
    return {
      session: session.id,
      kernel: kernel.id,
      subprotocol: socket.protocol,
      websockets: sockets.length,
      protocol_version: info.protocol_version
    };
  },
  60000
);

await step('execute', async () => {
  const { reply, stdout, result } = await executeOk(kernel, 'print("hello from livedoc")\n6 * 7');
  check(stdout === 'hello from livedoc\n', 'stdout', stdout);
  check(result === '42', 'execute_result text/plain', result);
  check(typeof reply.content.execution_count === 'number', 'execution_count', reply.content);
  return { stdout, result, execution_count: reply.content.execution_count };
});

await step('comm', async () => {
  await executeOk(
    kernel,
    [
      'def _livedoc_echo_target(comm, open_msg):',
      '    @comm.on_msg',
      '    def _echo(msg):',
      '        comm.send({"echo": msg["content"]["data"]}, buffers=msg["buffers"])',
      '    comm.send({"opened": open_msg["content"]["data"]})',
      'get_ipython().kernel.comm_manager.register_target("livedoc_echo", _livedoc_echo_target)'
    ].join('\n')
  );
  note('comm: the target is registered');
  const comm = kernel.createComm('livedoc_echo');
  const received = [];
  comm.onMsg = msg => {
    received.push(msg);
  };
  await comm.open({ hello: 'open' }).done;
  note('comm: comm_open is done (idle)');
  await waitFor(() => received.find(m => m.content.data.opened), 'the kernel to answer the open');
  const opened = received.find(m => m.content.data.opened);
  check(opened.content.data.opened.hello === 'open', 'open data echoed', opened.content);

  note('comm: the kernel answered the open');
  const info = await kernel.requestCommInfo({ target_name: 'livedoc_echo' });
  check(comm.commId in info.content.comms, 'comm_info lists the comm', info.content);

  const payload = [1, 2, 3, 250, 0, 128];
  const buffers = withBuffers ? [new Uint8Array(payload)] : [];
  await comm.send({ ping: 'livedoc' }, {}, buffers).done;
  note('comm: comm_msg is done (idle)');
  const echo = await waitFor(
    () => received.find(m => m.content.data.echo),
    'the echo of the comm message'
  );
  check(echo.content.data.echo.ping === 'livedoc', 'echoed data', echo.content);
  if (withBuffers) {
    check(echo.buffers && echo.buffers.length === 1, 'echoed buffers', echo.buffers);
    const echoedBytes = bytesOf(echo.buffers[0]);
    check(
      JSON.stringify(echoedBytes) === JSON.stringify(payload),
      'echoed buffer bytes',
      echoedBytes
    );
  }
  // JupyterLab closes without waiting. Nor may we wait for the close's idle: the library runs
  // each comm target's messages on a kernel subshell (JEP 91, ipykernel 7), and close() deletes
  // that subshell at once; ipykernel may delete it while comm_close runs there (its
  // UnknownSubshellError), and then the idle never comes, against jupyter_server too. So wait
  // for the subshell's deletion instead, which the kernel always answers.
  const subshell = comm.subshellId;
  let deleted = false;
  const watch = (_, { msg, direction }) => {
    deleted ||= direction === 'recv' && msg.header.msg_type === 'delete_subshell_reply';
  };
  kernel.anyMessage.connect(watch);
  comm.close();
  if (subshell !== null) {
    await waitFor(() => deleted, 'the reply to delete_subshell_request');
  }
  kernel.anyMessage.disconnect(watch);
  return { comm: comm.commId, buffers: withBuffers ? 1 : 0, subshell };
});

await step('interrupt', async () => {
  const future = kernel.requestExecute({
    code: 'print("looping", flush=True)\nwhile True:\n    pass'
  });
  const iopub = [];
  future.onIOPub = msg => iopub.push(msg);
  await waitFor(
    () => ofType(iopub, 'stream').some(m => m.content.text.includes('looping')),
    'the busy loop to start'
  );
  const busy = ofType(iopub, 'status').some(m => m.content.execution_state === 'busy');
  check(busy, 'no busy status for the loop', iopub);
  const interrupted = performance.now();
  await kernel.interrupt();
  const reply = await future.done;
  const latency = Math.round(performance.now() - interrupted);
  check(reply.content.status === 'error', 'the loop was not interrupted', reply.content);
  check(reply.content.ename === 'KeyboardInterrupt', 'ename', reply.content);
  const errors = ofType(iopub, 'error');
  check(errors.length === 1 && errors[0].content.ename === 'KeyboardInterrupt', 'error', errors);
  const after = await executeOk(kernel, '1 + 1');
  check(after.result === '2', 'the kernel works after the interrupt', after.result);
  return { interrupt_to_reply_ms: latency };
});

await step(
  'restart',
  async () => {
    await executeOk(kernel, 'livedoc_marker = 1');
    const before = sockets.length;
    const statuses = [];
    const connection = [];
    kernel.statusChanged.connect((_, status) => statuses.push(status));
    kernel.connectionStatusChanged.connect((_, status) => connection.push(status));
    await kernel.restart();
    note('restart: the REST restart answered and the websocket reconnected');
    check(sockets.length > before, 'the library did not open a new websocket after restart');
    check(connection.at(-1) === 'connected', 'connection after restart', connection);
    check(statuses.includes('restarting'), 'statuses during restart', statuses);
    const info = await kernel.requestKernelInfo();
    check(info.content.status === 'ok', 'kernel_info after restart', info.content);
    note('restart: kernel_info answered');
    const gone = await executeOk(kernel, '"livedoc_marker" in globals()');
    check(gone.result === 'False', 'the variable survived the restart', gone.result);
    const model = await KernelAPI.getKernelModel(kernel.id, serverSettings);
    check(model && model.id === kernel.id, 'the same kernel id after restart', model);
    return { statuses, connection, sockets: sockets.length - before };
  },
  60000
);

let renamed;
await step('rename', async () => {
  renamed = 'renamed-by-labservices.ipynb';
  const moved = await contents.rename(path, renamed);
  check(moved.path === renamed, 'contents rename', moved);
  await session.setPath(renamed);
  await session.setName(renamed);
  check(session.path === renamed && session.name === renamed, 'session model', session.model);
  const model = await SessionAPI.getSessionModel(session.id, serverSettings);
  check(model.path === renamed && model.name === renamed, 'the server has the new path', model);
  check(model.kernel.id === kernel.id, 'the session kept its kernel', model);
  const checkpoints = await contents.listCheckpoints(renamed);
  check(
    checkpoints.length === 1 && checkpoints[0].id === checkpointId,
    'the checkpoint moved with the notebook',
    checkpoints
  );
  return { path: renamed };
});

await step(
  'shutdown',
  async () => {
    const sessionId = session.id;
    const kernelId = kernel.id;
    await session.shutdown();
    check(session.isDisposed, 'the session connection is not disposed');
    const sessions = await SessionAPI.listRunning(serverSettings);
    check(!sessions.some(s => s.id === sessionId), 'the session is still listed', sessions);
    const kernels = await KernelAPI.listRunning(serverSettings);
    check(!kernels.some(k => k.id === kernelId), 'the kernel is still running', kernels);
    return { sessions: sessions.length, kernels: kernels.length };
  },
  60000
);

await step('delete', async () => {
  await contents.delete(renamed);
  let status;
  try {
    await contents.get(renamed);
  } catch (error) {
    status = error.response ? error.response.status : String(error);
  }
  check(status === 404, 'the deleted notebook answers', status);
  const root = await contents.get('');
  check(!root.content.some(m => m.path === renamed), 'still listed', root.content);
  return { status };
});

currentStep = 'teardown';
sessionManager.dispose();
kernelManager.dispose();
specsManager.dispose();
contents.dispose();
emit({ step: 'done', ok: true });
process.exit(0);
