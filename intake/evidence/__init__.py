"""Evidence and documents: files on a case and on what is on it (docs/intake.md, "Evidence
and documents"). ``registry`` (what files can be on), ``sniff`` (type by content), ``store``
(storage, encryption, thumbnails), ``services`` (upload, download, thumbnail, retention),
``selectors``, ``views`` (pages), ``http`` (the download answer)."""
