//! Operations of the API document: admin.

use super::op::*;

pub const OPS: &[Op] = &[];
