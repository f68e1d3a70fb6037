//! `GET /api/admin/backup` (admin only): a fresh, checked snapshot of the
//! database as a download. The snapshot is written to a private temporary
//! file in the backups directory and sent from that file in small pieces
//! (`Reply.spooled`), so a large database never sits in memory whole.

use crate::api::accounts::security_events::{Witness, who};
use crate::ctx::Ctx;
use crate::db::security_log::Kind;
use crate::db::{self, backup};
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use crate::http::body::Spooled;

pub fn download(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let dir = ctx.app.config.backups_dir();
    let temp = dir.join(format!("download-{}.db", crate::crypto::random_token(12)));
    let taken = backup::snapshot(ctx.conn, &temp).and_then(|snap| {
        std::fs::File::open(&snap.path)
            .map(|file| (file, snap.bytes))
            .map_err(|e| format!("cannot read the snapshot: {e}"))
    });
    // The open file stays readable after its name is gone: nothing is left
    // behind, even if the client disconnects half way.
    let _ = std::fs::remove_file(&temp);
    let (file, bytes) =
        taken.map_err(|e| AppError::internal(format_args!("backup download: {e}")))?;
    record_download(ctx, bytes)?;
    let name = backup::default_name(db::now());
    let mut reply = Reply::new(200, "application/vnd.sqlite3", Vec::new());
    reply.spooled = Some(Spooled::new(file, bytes));
    Ok(reply.download(&name).header("Cache-Control", "no-store"))
}

/// The security log's entry for a backup download: who took a copy of every
/// secret, and when (the size, never the content).
fn record_download(ctx: &mut Ctx<'_>, bytes: u64) -> AppResult<()> {
    let user = ctx.user()?.clone();
    let witness = Witness::of(ctx);
    db::write(ctx.conn, |tx| {
        witness.own(
            tx,
            Kind::BackupDownloaded,
            who(&user),
            serde_json::json!({ "bytes": bytes }),
        )
    })
}
