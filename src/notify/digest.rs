//! The daily digest: at `digest_time` (server local time) one message listing
//! the low and the short items, queued like any event for the channels that
//! chose `digest`. A day with nothing to say sends nothing.

use crate::db::{self, alerts, notifications};
use crate::error::AppResult;
use serde_json::{Value, json};

/// Which local day's digest has been dealt with (queued or skipped).
#[derive(Default)]
pub struct Schedule {
    done_day: Option<i64>,
}

impl Schedule {
    /// Queues today's digest once `digest_time` has passed, unless it was
    /// queued already (also by an earlier run of the server: the outbox says
    /// when the last one was).
    pub fn queue_if_due(
        &mut self,
        conn: &mut rusqlite::Connection,
        at: Option<(u32, u32)>,
    ) -> AppResult<()> {
        let Some((hour, minute)) = at else {
            return Ok(());
        };
        let now = db::now();
        let (day, minutes) = local_clock(now);
        if self.done_day == Some(day) || minutes < (hour * 60 + minute) as i64 {
            return Ok(());
        }
        db::write(conn, |tx| {
            let already = alerts::last_digest_at(tx)?.is_some_and(|t| local_clock(t).0 == day);
            if !already && let Some(payload) = compose(tx)? {
                notifications::enqueue(tx, alerts::EVENT_DIGEST, None, &payload)?;
            }
            Ok(())
        })?;
        self.done_day = Some(day);
        Ok(())
    }
}

/// The digest's content, or `None` when nothing is low or short.
pub fn compose(conn: &rusqlite::Connection) -> AppResult<Option<Value>> {
    let low = alerts::reorder_list(conn, None)?;
    let short = alerts::short_list(conn)?;
    if low.is_empty() && short.is_empty() {
        return Ok(None);
    }
    Ok(Some(json!({ "low": low, "short": short })))
}

/// The digest in words: a subject and one line per item.
pub fn words(p: &Value) -> (String, String) {
    let list = |k: &str| p[k].as_array().cloned().unwrap_or_default();
    let (low, short) = (list("low"), list("short"));
    let subject = format!("MiauInv digest: {} low, {} short", low.len(), short.len());
    let mut body = String::new();
    if !low.is_empty() {
        body.push_str("To reorder:\n");
        for i in &low {
            body.push_str(&format!(
                "- {}: {} available, minimum {}, order {}\n",
                i["name"].as_str().unwrap_or(""),
                i["available_quantity"],
                i["min_quantity"],
                i["suggested_quantity"]
            ));
        }
    }
    if !short.is_empty() {
        if !body.is_empty() {
            body.push('\n');
        }
        body.push_str("Short of stock:\n");
        for i in &short {
            body.push_str(&format!(
                "- {}: {} allocated, {} stocked, {} missing\n",
                i["name"].as_str().unwrap_or(""),
                i["allocated_quantity"],
                i["stocked_quantity"],
                i["missing"]
            ));
        }
    }
    (subject, body)
}

/// The local day number (days since the epoch in local time) and minutes
/// past local midnight of `unix` seconds, from the C library's time zone.
pub fn local_clock(unix: i64) -> (i64, i64) {
    let t = unix as libc::time_t;
    // SAFETY: `localtime_r` only writes the `tm` we pass; zeroed is a valid tm.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let ok = !unsafe { libc::localtime_r(&t, &mut tm) }.is_null();
    let offset = if ok { tm.tm_gmtoff } else { 0 };
    let local = unix + offset;
    (local.div_euclid(86_400), local.rem_euclid(86_400) / 60)
}
