public enum SynopticLayoutPlaceholder {}
