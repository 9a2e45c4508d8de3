"""Clients for multi-database Supabase fallback: the reference one and the spec's own.

Both implement `FallbackClient` (see `protocol`); results are frozen records (`results`); how a
call or an operation failed is a `FailureKind` / `ErrorKind` (`errors`, with the one classifier);
rows are named by their table's primary key (`keys`).
"""

from fallback.client.breaker import CircuitBreaker, State, Transition
from fallback.client.config import Deadline, SourceConfig, sources_from_env, sources_from_stack
from fallback.client.errors import (
    AllSourcesFailed,
    CallKind,
    ClientError,
    ConfigError,
    ErrorKind,
    FailureKind,
    OperationFailed,
    RoutingError,
    SourceUnavailable,
    WriteIndeterminate,
)
from fallback.client.keys import LoadQuery, RowKey, TableKey, TableKeys
from fallback.client.merge import Concat, MergePolicy, PreferNewest, PriorityDedup, concat, dedup_by_id
from fallback.client.protocol import FallbackClient
from fallback.client.reference import ReferenceClient
from fallback.client.results import (
    Attempt,
    CallResult,
    DeleteResult,
    Duplicate,
    LoadResult,
    PendingWrite,
    Resolution,
    RoutedResult,
    UpdateResult,
    WriteResult,
)
from fallback.client.spec_faithful import SpecFaithfulClient
from fallback.client.writes import WritePolicy

__all__ = [
    "AllSourcesFailed",
    "Attempt",
    "CallKind",
    "CallResult",
    "CircuitBreaker",
    "ClientError",
    "Concat",
    "ConfigError",
    "Deadline",
    "DeleteResult",
    "Duplicate",
    "ErrorKind",
    "FailureKind",
    "FallbackClient",
    "LoadQuery",
    "LoadResult",
    "MergePolicy",
    "OperationFailed",
    "PendingWrite",
    "PreferNewest",
    "PriorityDedup",
    "ReferenceClient",
    "Resolution",
    "RoutedResult",
    "RoutingError",
    "RowKey",
    "SourceConfig",
    "SourceUnavailable",
    "SpecFaithfulClient",
    "State",
    "TableKey",
    "TableKeys",
    "Transition",
    "UpdateResult",
    "WriteIndeterminate",
    "WritePolicy",
    "WriteResult",
    "concat",
    "dedup_by_id",
    "sources_from_env",
    "sources_from_stack",
]
