"""Every named limit of the stack, in one place.

Each door (CLI, config, gRPC, msgpack, REST, uploads) enforces these and names the limit in
its error message, so a person knows what to change.
"""

from __future__ import annotations

# --- identifiers ---------------------------------------------------------------------------
CONCEPT_ID_HEX_CHARS = 32  # 16 bytes, lowercase hex, on every wire

# --- concepts ------------------------------------------------------------------------------
MAX_CONTENT_BYTES = 64 * 1024  # one concept's text
MAX_METADATA_BYTES = 8 * 1024  # one concept's metadata, JSON-encoded
MAX_METADATA_DEPTH = 32  # levels of objects and lists in one concept's metadata (the top object is level 1)
MIN_DIMENSION = 2
MAX_DIMENSION = 4096
MAX_BATCH_ITEMS = 10_000  # concepts or associations in one batch call
MAX_STRENGTH = 1_000_000.0  # a concept's strength (re-learning adds to it, capped here)
MAX_ASSOCIATION_WEIGHT = 1_000_000.0
MAX_PREDICATE_BYTES = 128  # an association's predicate ("moved to"), UTF-8
MAX_OBSERVATIONS = 32  # distinct valid_from times an association keeps (the first and the newest 31)
MAX_TIME_SECONDS = 253_402_300_799.0  # valid_from / valid_to / valid_at: unix seconds up to 9999-12-31

# --- graph queries -------------------------------------------------------------------------
MAX_PATH_DEPTH = 8
MAX_PATHS = 100  # k for find_paths
MAX_PATH_ENDPOINTS = 1_000  # start or target ids in one find_paths call
MAX_NEIGHBORS = 10_000
MAX_QUERY_IDS = 10_000  # ids in one query_concepts call

# --- search --------------------------------------------------------------------------------
MAX_SEARCH_K = 1_000
MIN_EF = 1
MAX_EF = 4_096
MAX_QUERY_BYTES = 8 * 1024  # text of a search query or a question

# --- index ---------------------------------------------------------------------------------
DEFAULT_MAX_CONCEPTS = 10_000_000  # capacity cap; writes past it get RESOURCE_EXHAUSTED
MIN_HNSW_M = 2
MAX_HNSW_M = 128
MAX_EF_CONSTRUCTION = 4_096

# --- write-ahead log -----------------------------------------------------------------------
MAX_WAL_RECORD_BYTES = 80 * 1024 * 1024  # one WAL record (a mutation or a whole batch); above MAX_MESSAGE_BYTES

# --- backups -------------------------------------------------------------------------------
MAX_BACKUP_NAME_CHARS = 64  # the name of one online backup, a folder under storage.backup_dir

# --- wire ----------------------------------------------------------------------------------
MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # one gRPC message or msgpack frame
MAX_REQUEST_BODY_BYTES = 16 * 1024 * 1024  # one REST request body
CLIENT_PROXY_TIMEOUT_SECONDS = 120.0  # sutra-client's static server waits this long for sutra-api's answer
MAX_PIPELINED_REQUESTS = 1_024  # unanswered requests on one fast-door connection
HELLO_TIMEOUT_SECONDS = 10.0  # a fast-door connection must say hello within this
DEFAULT_BUSY_POLL_US = 1_000  # how long StorageClient polls for a quick answer before it sleeps
MAX_BUSY_POLL_US = 10_000
BUSY_POLL_MAX_BACKOFF_CALLS = 64  # calls an operation sleeps through at most after its polls ran out

# --- connections (every door) --------------------------------------------------------------
MAX_HELLO_FRAME_BYTES = 4 * 1024  # the one frame a fast-door connection may send before its hello succeeds
MAX_BUFFERED_BYTES = 256 * 1024 * 1024  # unfinished fast-door frames buffered across all connections
DEFAULT_MAX_CONNECTIONS = 1_024  # open connections per storage door / per sutra-api worker (settings)
DEFAULT_IDLE_TIMEOUT_SECONDS = 300.0  # a storage connection with nothing in flight is closed after this
DEFAULT_FRAME_TIMEOUT_SECONDS = 60.0  # a started fast-door frame must be finished within this
DEFAULT_MAX_CONNECTION_AGE_SECONDS = 3_600.0  # a gRPC connection is asked to go away after this
GRPC_AGE_GRACE_SECONDS = 300.0  # calls on a gRPC connection past its age get this long to finish
GRPC_KEEPALIVE_SECONDS = 60.0  # the gRPC door pings a connection quiet for this long (dead peers)
GRPC_KEEPALIVE_TIMEOUT_SECONDS = 20.0  # ... and closes it when the ping is not answered within this
MAX_GRPC_STREAMS_PER_CONNECTION = 256  # concurrent calls on one gRPC connection (more wait their turn)
DEFAULT_HTTP_REQUEST_TIMEOUT_SECONDS = 30.0  # an HTTP request's headers and body must arrive within this
HTTP_KEEP_ALIVE_SECONDS = 5.0  # sutra-api closes a keep-alive connection idle between requests for this long
MAX_HTTP_HEADER_BYTES = 64 * 1024  # an HTTP request line and headers together
TRIM_AFTER_BYTES = 8 * 1024 * 1024  # a storage message this large returns freed memory to the OS afterwards

# --- reasoning -----------------------------------------------------------------------------
MAX_LEARN_TEXT_BYTES = 256 * 1024  # one /learn text before it is split into sentences
MAX_ASK_PATHS = 20
MAX_ASK_DEPTH = 6
MAX_LEARN_SENTENCES = 2_000  # sentences in one learned text
MAX_LEARN_BATCH_TEXTS = 10_000  # texts in one learn_batch call
CLAUSE_WORDS_CACHE = 16_384  # clauses whose gate masks (which needed words they hold) are remembered

# --- REST apps -----------------------------------------------------------------------------
MAX_SOURCE_BYTES = 1024  # the `source` label of a /learn text
BLOCKING_THREADS = 32  # threads a REST app runs its blocking storage and reasoning calls on

# --- sutra-hybrid (the OpenAI-compatible API) ------------------------------------------------
MAX_CHAT_MESSAGES = 256  # messages in one chat completion request
MAX_CHAT_MESSAGE_CHARS = 64 * 1024  # characters of one chat message's content (the question: MAX_QUERY_BYTES)
MAX_STOP_SEQUENCES = 4  # `stop` strings of one chat completion (OpenAI's limit too)
MAX_EMBEDDING_INPUTS = 2_048  # texts in one /v1/embeddings call (OpenAI's limit too)
MAX_EMBEDDING_INPUT_CHARS = 32 * 1024  # characters of one text to embed
MAX_CHAT_STREAMS = 256  # streamed chat completions open at once, per sutra-hybrid worker

# --- supervisor ----------------------------------------------------------------------------
MAX_SERVICES = 64  # services in one stack config
MAX_LISTEN_SOCKETS = 16  # sockets one service may be handed (LISTEN_FDS)
DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024  # a service log file is rotated past this size
DEFAULT_LOG_BACKUPS = 5  # rotated files kept per service
MAX_LOG_LINE_BYTES = 64 * 1024  # a longer line from a child is split into pieces of this size

# --- sutra-control (the admin process) ----------------------------------------------------------
MAX_BULK_UPLOAD_BYTES = 2 * 1024 * 1024 * 1024  # one bulk-learn upload (streamed to disk, never held in memory)
MAX_BULK_LINE_ERRORS = 100_000  # per-line errors one bulk-learn job keeps (the rest are counted)
CONTROL_SAMPLE_SECONDS = 1.0  # a metrics sample of every service this often
CONTROL_HISTORY_SECONDS = 3_600  # samples kept in memory for charts (an hour)
CONTROL_RATE_WINDOW_SECONDS = 10.0  # /api/status' rates and latency percentiles: over the samples of this long
CONTROL_EVENTS_KEPT = 4_096  # stream events kept for a reconnecting client to resume from
CONTROL_STREAM_QUEUE = 256  # events queued for one stream client; a client this far behind is dropped
CONTROL_STREAM_QUEUE_BYTES = 4 * 1024 * 1024  # ... or this many bytes of events behind
MAX_CONTROL_STREAMS = 64  # live streams open at once
CONTROL_REQUEST_TIMEOUT_SECONDS = 3_600.0  # sutra-control's request read time-out: a bulk upload may take long
