//! Operations of the API document: accounts.

use super::op::*;

pub const OPS: &[Op] = &[];
