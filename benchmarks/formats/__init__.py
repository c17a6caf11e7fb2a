"""The official on-disk formats, read and written in one place: palette PNG label maps
(:mod:`.palette`), box text files of the OPE toolkits (:mod:`.boxes`), MOTChallenge text and
``seqinfo.ini`` (:mod:`.motchallenge`), MOTS text (:mod:`.mots`), COCO run-length encodings
(:mod:`.rle`), the PoseTrack18 and YouTube-VIS json documents (:mod:`.jsonfiles`) and the OxUvA
prediction csv (:mod:`.oxuva`) and VOT regions (:mod:`.regions`). The adapters and the synthetic suite both go through them, so the
suite is written exactly as the adapters read and write."""
