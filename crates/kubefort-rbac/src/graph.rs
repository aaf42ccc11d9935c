//! escalation graph (below)
