//! Operations of the API document: places.

use super::op::*;

pub const OPS: &[Op] = &[];
