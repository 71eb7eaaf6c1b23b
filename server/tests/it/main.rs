//! Integration tests of the server: storage through the rooms against temporary SQLite files,
//! and the HTTP surface through the real router.

mod http;
mod storage;
mod support;
