"""Fall detection (`fallenPerson`, KISA 쓰러짐 / 낙상): pose or box posture over each track."""
