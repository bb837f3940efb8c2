"""Human reference data: the bundled PersuasionForGood release, its loaders and its cleaning rules.

The files under ``persuasionforgood/`` are byte-for-byte copies of the authors' release (Apache-2.0;
see ``persuasionforgood/LICENSE`` and ``persuasionforgood/PROVENANCE.md``).
"""
