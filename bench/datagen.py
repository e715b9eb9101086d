"""``python -m bench.datagen``: the messy data generator, which lives in the product (credit.demodata)."""

from credit.demodata.datagen import main

if __name__ == "__main__":
    raise SystemExit(main())
