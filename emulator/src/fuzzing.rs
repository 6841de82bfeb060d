//! Entry points for the fuzz targets, compiled only with `--cfg fuzzing`: the emulator's signature
//! check, which the client's signer must always satisfy.

use std::time::SystemTime;

use oss_append::sign::SignRequest;
use oss_append::Credentials;

/// Whether the emulator, knowing `credentials` and scoped to `region`, accepts `request`'s signature
/// at `now`.
pub fn signature_accepted(
    credentials: &[Credentials],
    region: &str,
    request: &SignRequest<'_>,
    now: SystemTime,
) -> bool {
    let mut keys = crate::auth::Keys::default();
    for c in credentials {
        keys.add(c.clone());
    }
    crate::auth::verify(&keys, region, request, now).is_ok()
}

/// How the emulator reads a request's path (path style) and query string: bucket, key, parameters.
/// `None` when it refuses them.
pub fn read_target(path: &str, query: &str) -> Option<(Option<String>, Option<String>, Vec<(String, String)>)> {
    let (bucket, key) = crate::server::target(None, path, |_| true).ok()?;
    let query = crate::server::parse_query(query).ok()?;
    Some((bucket, key, query))
}
