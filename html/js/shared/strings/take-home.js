// @ts-check
// The "Take it home" affordance and its QR code overlay (take-home.js), in English and Korean.
/** @type {import("../i18n.js").Strings} */
export default {
  en: {
    takeHome: "Take it home",
    takeHomeLabel: "Take this flower home: show a QR code for your phone",
    scan: "Scan to take this flower home",
    scanHint: "Point your phone’s camera at the code. Tap anywhere to close.",
    qrAlt: "QR code of this flower’s page",
    close: "Close",
    // on a phone
    keep: "Keep this flower",
    openPage: "Open its page",
    download: "Download the image",
    phoneHint: "Or let a friend scan the code. Tap outside to close.",
  },
  ko: {
    takeHome: "집으로 가져가기",
    takeHomeLabel: "이 꽃을 집으로 가져가기: 휴대폰으로 찍을 QR 코드 보기",
    scan: "QR 코드를 찍어 이 꽃을 집으로 가져가세요",
    scanHint: "휴대폰 카메라를 코드에 비춰 주세요. 아무 곳이나 누르면 닫힙니다.",
    qrAlt: "이 꽃의 페이지로 가는 QR 코드",
    close: "닫기",
    keep: "이 꽃을 간직하세요",
    openPage: "꽃의 페이지 열기",
    download: "이미지 내려받기",
    phoneHint: "친구가 코드를 찍어 가도 좋아요. 바깥을 누르면 닫힙니다.",
  },
};
