public enum IntroKitPlaceholder {}
