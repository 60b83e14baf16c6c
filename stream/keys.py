"""The Redis key names the stream writes and the CLIs, the demo and consoles read: one place.

Templates take ``str.format`` fields. Only ``stream.state.StreamState`` writes the stream's
keys; readers (``kakou-flow``, traces, the audit log, tests) format the same templates.
"""
from __future__ import annotations

ALERT_KEY = "kakou:alert:{alert_id}"
OPEN_ALERTS = "kakou:alerts:open"            # zset alert_id -> raised_at (epoch s)
LIVE_ALERTS = "kakou:alerts:live"  # stream: every alert event (field "alert": JSON), for consoles
COUNTED_PASSAGE = "kakou:counted:passage:{event_id}"  # counted in the flow, not yet committed
CHECKPOINT_STATS = "kakou:stats:checkpoint:{checkpoint_id}"  # hash counters
HEARTBEAT_KEY = "kakou:heartbeat:{checkpoint_id}"
CHECKPOINTS = "kakou:checkpoints"            # zset checkpoint_id -> last heartbeat (epoch s)
ESCALATE_AT = "kakou:alerts:escalate-at"     # zset alert_id -> when to escalate (epoch s)
ALERT_LOCK = "kakou:lock:alert:{alert_id}"  # held by whoever changes the alert (worker, console)
TRACE = "kakou:trace:{plate}"  # zset passage JSON -> time: where a watched plate passed, 24 h
STATUS_ALERT_KEY = "kakou:status-alert:{alert_id}"
OFFLINE = "kakou:status:offline:{checkpoint_id}"              # -> the open offline alert's id
CAMERA_DEGRADED = "kakou:status:camera:{checkpoint_id}:{camera_id}"  # -> open degraded alert id
COOLDOWN = "kakou:cooldown:{entry_id}:{plate}:{checkpoint_id}"  # -> the visit's alert id
ALERT_PASSAGES = "kakou:alert:{alert_id}:passages"  # set: later passages of the same visit
DEADLETTER_STATS = "kakou:stats:deadletter"  # hash source topic -> count
DEADLETTER_SEEN = "kakou:seen:deadletter:{topic}:{partition}:{offset}"
FLOW = "kakou:flow:{window}:{checkpoint_id}:{start}"  # hash: vehicles, dwell_s, known_region, outside
FLOW_INDEX = "kakou:flow:{window}:{checkpoint_id}"      # zset window start -> start
FLOW_WARNED = "kakou:flow-warned:{alert_id}"             # the window's warning went out
REJECTS_BY_LIST = "kakou:stats:rejects:list:{list}"  # hash reject reason -> count
REJECTS_BY_CHECKPOINT = "kakou:stats:rejects:checkpoint:{checkpoint_id}"  # the same, per checkpoint
REJECTS_BY_CAMERA = "kakou:stats:rejects:camera:{checkpoint_id}"  # hash "camera|reason" -> count
SEEN_IDCHECK = "kakou:seen:idcheck:{event_id}"
STREAM_STATS = "kakou:stats:stream"          # hash: passages, duplicates, alerts, idchecks, ...
AUDIT_LOG = "kakou:audit"            # stream: hash-chained audit records, stream id "<seq>-0"
AUDIT_HEAD = "kakou:audit:head"      # JSON {seq, hash} of the last record: appends WATCH it

NON_HIT_TTL_S = 72 * 3600        # de-duplication marks of ID checks (as long as the topic keeps them)
#: A passage's counted mark: it only bridges a worker's crash between counting a batch and the
#: history committing it (which then says, for 72 h, what is new); longer than a restart or a
#: rebalance takes, short enough that Redis holds nothing per passage for long.
COUNTED_TTL_S = 120
TRACE_WINDOW_S = 24 * 3600       # a watched plate's trace
DEADLETTER_TTL_S = 7 * 24 * 3600  # as long as the dead-letter topic keeps a message
HEARTBEAT_TTL_S = 24 * 3600      # a box's latest heartbeat
#: Live alert events kept for consoles to resume from (about: Redis trims whole nodes).
LIVE_ALERTS_MAXLEN = 10_000
