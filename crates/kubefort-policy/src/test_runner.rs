//! Policy unit tests (filled below).
