"""The course as deployed on a shared machine: who may read what (:mod:`.permissions`), whether the sandbox can
run (:mod:`.userns`), and ``course doctor`` (:mod:`.doctor`), which checks a deployment and names each fix."""
