"""COCO-80 class names in the order the bundled and YOLO models use, and our defaults."""

from cctwin.catalogue import text_or

COCO_LABELS: tuple[str, ...] = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
    "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
    "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
    "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
    "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant",
    "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
    "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
    "teddy bear", "hair drier", "toothbrush",
)  # fmt: skip

DEFAULT_CLASSES: tuple[str, ...] = ("person", "bicycle", "car", "motorcycle", "bus", "truck")

PERSON = COCO_LABELS.index("person")


def display_name(class_name: str, language: str, count: int = 1) -> str:
    """What operators call a class in `language` (the catalogue's `class.*`), plural past one.

    Classes the catalogue does not name keep their COCO label rather than get a wrong word;
    English then adds an "s" for a plural, Korean nouns stay as they are.
    """
    if count == 1:
        return text_or(language, f"class.{class_name}", class_name)
    singular = text_or(language, f"class.{class_name}", class_name)
    regular = singular + "s" if language == "en" else singular
    return text_or(language, f"class.{class_name}.many", regular)
