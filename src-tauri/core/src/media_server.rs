//! The loopback media server: serves registered takes to the WebView over http://127.0.0.1 with Range support.
