//! Premiere export: the shot list as FCP7 XML, CMX3600 EDL, OTIO or CSV.
