//! ipvsadm's command line and text formats (listings, save and restore) over this crate's model.
