//! The benchmark's data: a workshop inventory written through MiauInv's own
//! library functions (the `db::*` functions the handlers call, inside
//! `db::write` transactions, so every CHECK, UNIQUE and invariant trigger runs
//! and every change gets its movement row), a thousand items per transaction.
//! Only the step to 1 000 000 items uses bulk `INSERT … SELECT` into the same
//! schema (triggers still fire; movements are not written for those rows),
//! because a million single inserts would take longer than the benchmark.

use miauinv::auth::password::Hasher;
use miauinv::auth::session::CurrentUser;
use miauinv::db::items::NewItem;
use miauinv::db::movements::{self, Change, KIND_ALLOCATION, KIND_STOCK, KIND_TOTAL};
use miauinv::db::placement::{self, ALLOCATIONS, STOCK};
use miauinv::db::{self, items, locations, projects, users};
use rusqlite::Connection;
use std::path::Path;

pub const LOCATIONS: i64 = 200;
pub const PROJECTS: i64 = 20;
/// Items 1..=TRANSFER_ITEMS are the transfer benchmark's: each starts with
/// half of TRANSFER_TOTAL at LOC_A and half at LOC_B.
pub const TRANSFER_ITEMS: i64 = 20;
pub const TRANSFER_TOTAL: i64 = 1_000_000;
pub const LOC_A: i64 = 1;
pub const LOC_B: i64 = 2;
/// The search term of the scale table; one item name in twenty contains it.
pub const SEARCH: &str = "capacitor";

const NOUNS: [&str; 20] = [
    "Resistor",
    "Capacitor",
    "Hex socket screw",
    "Hex nut",
    "Washer",
    "LED",
    "Arduino Nano",
    "Raspberry Pi",
    "Jumper wire",
    "Heat shrink tube",
    "Drill bit",
    "Wood screw",
    "Cable tie",
    "Fuse",
    "Relay",
    "Stepper motor",
    "Servo",
    "Bearing",
    "Solder wire",
    "Terminal block",
];
const VARIANTS: [&str; 12] = [
    "M3x12",
    "M4x20",
    "10k 1/4W",
    "100nF 50V",
    "red 5mm",
    "3.3V",
    "608ZZ",
    "20cm",
    "2:1 black",
    "6mm HSS",
    "5A slow",
    "NEMA 17",
];
const CATEGORIES: [&str; 8] = [
    "Electronics",
    "Fasteners",
    "Tools",
    "Cables",
    "Mechanics",
    "Consumables",
    "Boards",
    "Motors",
];

/// A small deterministic generator: the same data on every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A number in lo..=hi.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
}

fn err(e: miauinv::error::AppError) -> String {
    e.to_string()
}

/// Creates the schema, the bench account (hashed with MiauInv's Hasher at the
/// configured cost), the locations and the projects.
pub fn create(
    db_path: &Path,
    username: &str,
    password: &str,
    cost: u32,
) -> Result<CurrentUser, String> {
    let mut conn = db::open(db_path).map_err(|e| e.to_string())?;
    db::migrate::migrate(&mut conn)?;
    let hash = Hasher::new(cost, 2).hash(password).map_err(err)?;
    db::write(&mut conn, |tx| {
        let user = users::insert(tx, username, &hash, users::Role::Admin)?;
        for n in 1..=LOCATIONS {
            locations::insert(tx, &format!("Shelf {} / box {}", (n - 1) / 5 + 1, n), None)?;
        }
        for n in 1..=PROJECTS {
            projects::insert(
                tx,
                &format!("Project {n}"),
                Some("A build that needs parts from the shelves."),
            )?;
        }
        Ok(CurrentUser {
            id: user.id,
            username: user.username,
            role: user.role,
            session_id: None,
        })
    })
    .map_err(err)
}

/// Adds items `from+1 ..= to` with stock in one to three locations and, for one
/// item in four, an allocation to a project (some allocate more than is on the
/// shelves, so `/api/stats` has short items to list).
pub fn grow(db_path: &Path, user: &CurrentUser, from: i64, to: i64) -> Result<(), String> {
    let mut conn = db::open(db_path).map_err(|e| e.to_string())?;
    let mut rng = Rng::new(0x5eed ^ from as u64);
    let mut next = from + 1;
    while next <= to {
        let end = (next + 999).min(to);
        db::write(&mut conn, |tx| {
            for n in next..=end {
                add_item(tx, user, n, &mut rng)?;
            }
            Ok(())
        })
        .map_err(err)?;
        next = end + 1;
    }
    Ok(())
}

fn item_name(n: i64) -> String {
    let noun = NOUNS[(n % NOUNS.len() as i64) as usize];
    let variant = VARIANTS[(n % VARIANTS.len() as i64) as usize];
    format!("{noun} {variant} #{n}")
}

fn add_item(
    tx: &Connection,
    user: &CurrentUser,
    n: i64,
    rng: &mut Rng,
) -> miauinv::error::AppResult<()> {
    let transfer_item = n <= TRANSFER_ITEMS;
    let total = if transfer_item {
        TRANSFER_TOTAL
    } else {
        rng.range(1, 500)
    };
    let new = NewItem {
        name: item_name(n),
        category: Some(CATEGORIES[(n % CATEGORIES.len() as i64) as usize].to_string()),
        description: Some(format!(
            "Bin label {n}; reorder at {} pieces.",
            rng.range(1, 50)
        )),
        total_quantity: total,
        sku: None,
        min_quantity: 0,
        reorder_quantity: None,
    };
    let id = items::insert(tx, &new)?;
    if id != n {
        return Err(miauinv::error::AppError::internal(format_args!(
            "seeding expects item ids in order: got {id} for item {n}"
        )));
    }
    movements::record(tx, user.actor(), &Change::new(KIND_TOTAL, id, total, total))?;
    let placements: Vec<(i64, i64)> = if transfer_item {
        vec![(LOC_A, total / 2), (LOC_B, total - total / 2)]
    } else {
        // Most of the units are on shelves, spread over one to three boxes.
        let places = rng.range(1, 3);
        let first = rng.range(1, LOCATIONS);
        let on_shelves = total * 4 / 5;
        (0..places)
            .map(|k| {
                let loc = (first - 1 + k * 17) % LOCATIONS + 1;
                (loc, on_shelves / places)
            })
            .filter(|&(_, q)| q > 0)
            .collect()
    };
    for (loc, quantity) in placements {
        placement::insert(tx, &STOCK, id, loc, quantity)?;
        let change = Change {
            location_id: Some(loc),
            ..Change::new(KIND_STOCK, id, quantity, quantity)
        };
        movements::record(tx, user.actor(), &change)?;
    }
    if !transfer_item && n % 4 == 0 {
        let project = n % PROJECTS + 1;
        let quantity = (total * rng.range(1, 9) / 10).max(1);
        placement::insert(tx, &ALLOCATIONS, id, project, quantity)?;
        let change = Change {
            project_id: Some(project),
            ..Change::new(KIND_ALLOCATION, id, quantity, quantity)
        };
        movements::record(tx, user.actor(), &change)?;
    }
    Ok(())
}

/// Grows to `to` items with bulk `INSERT … SELECT` statements in transactions of
/// 100 000 items: the same shapes of rows as `grow`, without movement rows.
pub fn grow_bulk(db_path: &Path, from: i64, to: i64) -> Result<(), String> {
    let mut conn = db::open(db_path).map_err(|e| e.to_string())?;
    let nouns = serde_json::to_string(&NOUNS).expect("strings serialise");
    let variants = serde_json::to_string(&VARIANTS).expect("strings serialise");
    let categories = serde_json::to_string(&CATEGORIES).expect("strings serialise");
    let mut next = from + 1;
    while next <= to {
        let end = (next + 99_999).min(to);
        let seq =
            "WITH RECURSIVE seq(n) AS (SELECT ?1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?2)";
        db::write(&mut conn, |tx| {
            tx.execute(
                &format!(
                    "{seq} INSERT INTO items (id, name, category, description, total_quantity)
                     SELECT n,
                        json_extract(?3, '$[' || (n % 20) || ']') || ' ' ||
                        json_extract(?4, '$[' || (n % 12) || ']') || ' #' || n,
                        json_extract(?5, '$[' || (n % 8) || ']'),
                        'Bin label ' || n || '; reorder at ' || (n % 50 + 1) || ' pieces.',
                        n % 500 + 1
                     FROM seq"
                ),
                rusqlite::params![next, end, nouns, variants, categories],
            )?;
            tx.execute(
                &format!(
                    "{seq} INSERT INTO stock (item_id, location_id, quantity)
                     SELECT n, n % {LOCATIONS} + 1, (n % 500 + 1) * 4 / 5 FROM seq
                     WHERE (n % 500 + 1) * 4 / 5 > 0"
                ),
                rusqlite::params![next, end],
            )?;
            tx.execute(
                &format!(
                    "{seq} INSERT INTO project_items (item_id, project_id, quantity)
                     SELECT n, n % {PROJECTS} + 1, (n % 500 + 1) * (n % 9 + 1) / 10 FROM seq
                     WHERE n % 4 = 0 AND (n % 500 + 1) * (n % 9 + 1) / 10 > 0"
                ),
                rusqlite::params![next, end],
            )?;
            Ok(())
        })
        .map_err(err)?;
        next = end + 1;
    }
    Ok(())
}

/// Units of the transfer items per location, and their transfer movements.
pub struct TransferLedger {
    /// (item, location A quantity, location B quantity)
    pub stock: Vec<(i64, i64, i64)>,
    /// Net units moved into A per item according to the movement rows.
    pub net_into_a: Vec<i64>,
    pub movements: i64,
}

/// Reads the transfer items' stock and history straight from the database file.
pub fn transfer_ledger(db_path: &Path) -> Result<TransferLedger, String> {
    let conn = db::open(db_path).map_err(|e| e.to_string())?;
    let q = |item: i64, loc: i64| -> rusqlite::Result<i64> {
        conn.query_row(
            "SELECT COALESCE(SUM(quantity), 0) FROM stock WHERE item_id = ?1 AND location_id = ?2",
            [item, loc],
            |r| r.get(0),
        )
    };
    let mut ledger = TransferLedger {
        stock: Vec::new(),
        net_into_a: Vec::new(),
        movements: 0,
    };
    for item in 1..=TRANSFER_ITEMS {
        ledger
            .stock
            .push((item, q(item, LOC_A).map_err(|e| e.to_string())?, {
                q(item, LOC_B).map_err(|e| e.to_string())?
            }));
        let net: i64 = conn
            .query_row(
                "SELECT COALESCE(SUM(CASE WHEN to_location_id = ?2 THEN delta ELSE -delta END), 0)
                 FROM movements WHERE kind = 'transfer' AND item_id = ?1",
                [item, LOC_A],
                |r| r.get(0),
            )
            .map_err(|e| e.to_string())?;
        ledger.net_into_a.push(net);
    }
    ledger.movements = conn
        .query_row(
            "SELECT count(*) FROM movements WHERE kind = 'transfer'",
            [],
            |r| r.get(0),
        )
        .map_err(|e| e.to_string())?;
    Ok(ledger)
}
