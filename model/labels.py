"""Label sets: the paper's benchmarks and the daily-living classes of the bundled model."""

from __future__ import annotations

__all__ = [
    "ADL_CLASSES",
    "LABEL_SETS",
    "NTU60_CLASSES",
    "NTU120_CLASSES",
    "TOYOTA_CLASSES",
    "get_label_set",
]

# NTU RGB+D 60, actions A1-A60 in order.
NTU60_CLASSES: tuple[str, ...] = (
    "drink water", "eat meal", "brush teeth", "brush hair", "drop", "pick up", "throw",
    "sit down", "stand up", "clapping", "reading", "writing", "tear up paper",
    "put on jacket", "take off jacket", "put on a shoe", "take off a shoe",
    "put on glasses", "take off glasses", "put on a hat", "take off a hat", "cheer up",
    "hand waving", "kicking something", "reach into pocket", "hopping", "jump up",
    "phone call", "play with phone", "type on a keyboard", "point to something",
    "taking a selfie", "check time", "rub two hands", "nod head", "shake head",
    "wipe face", "salute", "put palms together", "cross hands in front", "sneeze or cough",
    "staggering", "falling down", "headache", "chest pain", "back pain", "neck pain",
    "nausea or vomiting", "fan self", "punch or slap", "kicking", "pushing",
    "pat on back", "point finger", "hugging", "giving object", "touch pocket",
    "shaking hands", "walking towards", "walking apart",
)  # fmt: skip

# NTU RGB+D 120: A1-A60 as above, then A61-A120 in order.
NTU120_CLASSES: tuple[str, ...] = (
    *NTU60_CLASSES,
    "put on headphone", "take off headphone", "shoot at the basket", "bounce ball",
    "tennis bat swing", "juggling table tennis balls", "hush (quiet)", "flick hair",
    "thumb up", "thumb down", "make ok sign", "make victory sign", "staple book",
    "counting money", "cutting nails", "cutting paper (using scissors)", "snapping fingers",
    "open bottle", "sniff (smell)", "squat down", "toss a coin", "fold paper",
    "ball up paper", "play magic cube", "apply cream on face", "apply cream on hand back",
    "put on bag", "take off bag", "put something into a bag", "take something out of a bag",
    "open a box", "move heavy objects", "shake fist", "throw up cap/hat",
    "hands up (both hands)", "cross arms", "arm circles", "arm swings", "running on the spot",
    "butt kicks (kick backward)", "cross toe touch", "side kick", "yawn", "stretch oneself",
    "blow nose", "hit other person with something", "wield knife towards other person",
    "knock over other person (hit with body)", "grab other person's stuff",
    "shoot at other person with a gun", "step on foot", "high-five", "cheers and drink",
    "carry something with other person", "take a photo of other person",
    "follow other person", "whisper in other person's ear",
    "exchange things with other person", "support somebody with hand",
    "finger-guessing game (playing rock-paper-scissors)",
)  # fmt: skip

# Toyota Smarthome, 31 cross-subject classes (Das et al., 2019).
TOYOTA_CLASSES: tuple[str, ...] = (
    "Cook.Cleandishes", "Cook.Cleanup", "Cook.Cut", "Cook.Stir", "Cook.Usestove",
    "Cutbread", "Drink.Frombottle", "Drink.Fromcan", "Drink.Fromcup", "Drink.Fromglass",
    "Eat.Attable", "Eat.Snack", "Enter", "Getup", "Laydown", "Leave", "Makecoffee.Pourgrains",
    "Makecoffee.Pourwater", "Maketea.Boilwater", "Maketea.Insertteabag", "Pour.Frombottle",
    "Pour.Fromcan", "Pour.Fromkettle", "Readbook", "Sitdown", "Takepills", "Uselaptop",
    "Usetablet", "Usetelephone", "Walk", "WatchTV",
)  # fmt: skip

# Daily-living classes for the edge model (the alert rules map onto these).
ADL_CLASSES: tuple[str, ...] = (
    "background", "walking", "sitting down", "standing up", "falling",
    "lying on the floor", "bending or picking up", "waving for help",
)  # fmt: skip

LABEL_SETS: dict[str, tuple[str, ...]] = {
    "ntu60": NTU60_CLASSES,
    "ntu120": NTU120_CLASSES,
    "toyota": TOYOTA_CLASSES,
    "adl": ADL_CLASSES,
}


def get_label_set(name: str) -> tuple[str, ...]:
    """A label set by name (``ntu60``, ``ntu120``, ``toyota``, ``adl``)."""
    try:
        return LABEL_SETS[name]
    except KeyError:
        raise KeyError(f"unknown label set {name!r}; choose one of {sorted(LABEL_SETS)}") from None
