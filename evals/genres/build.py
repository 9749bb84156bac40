"""Build the genre eval documents: `.venv/bin/python evals/genres/build.py [OUT_DIR]`.

Writes evals/genres/docs/* (regulations, contracts, reports with tables, a spreadsheet, scanned
letters, encyclopedia articles, a news page) and, for each, evals/genres/sources/<file>.json with the
exact text it was built from: `content` (every heading, sentence, list item and table data cell that
must survive ingest), `chrome` (lines a reader must remove, each with the reason a user expects),
`table_headers` and `tables` (each table's column header paths and rows), and `ocr_pages` (the pages
that are images, whose text only OCR can recover).
All organisations, people and figures are fictional. The build is deterministic (same bytes every
run), so the committed files only change when this script does.
"""

# ruff: noqa: E501  (Vietnamese prose in string literals, wrapped by hand before formatting nested it)
from __future__ import annotations

import html
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from render import (
    B,
    C,
    Line,
    Record,
    Table,
    h,
    item,
    new_pdf,
    p,
    pdf_blocks,
    pdf_scan_page,
    png_bytes,
    render_scan,
    sig,
    table,
    title,
    write_docx,
    write_md,
    write_txt,
    xlsx_with_cached_values,
)

HERE = Path(__file__).resolve().parent
DOCS = HERE / "docs"
SOURCES = HERE / "sources"

# =================================================================================================
# 1. Regulation (.docx, Word heading styles): Quy chế đào tạo of a fictional university
# =================================================================================================

QUY_CHE = [
    p("TRƯỜNG ĐẠI HỌC DUYÊN HẢI", align="center", style="bold"),
    title("QUY CHẾ ĐÀO TẠO TRÌNH ĐỘ ĐẠI HỌC THEO HỆ THỐNG TÍN CHỈ"),
    p(
        "(Ban hành kèm theo Quyết định số 512/QĐ-ĐHDH ngày 15 tháng 7 năm 2025 của Hiệu trưởng "
        "Trường Đại học Duyên Hải)",
        align="center",
        style="italic",
    ),
    h(1, "Chương I. NHỮNG QUY ĐỊNH CHUNG"),
    h(3, "Điều 1. Phạm vi điều chỉnh và đối tượng áp dụng"),
    item(
        "1. Quy chế này quy định về tổ chức đào tạo trình độ đại học theo hệ thống tín chỉ tại Trường "
        "Đại học Duyên Hải, bao gồm: chương trình đào tạo, đăng ký học phần, đánh giá kết quả học tập, "
        "xử lý học vụ và công nhận tốt nghiệp."
    ),
    item(
        "2. Quy chế này áp dụng đối với sinh viên hệ chính quy, giảng viên, cố vấn học tập và các đơn vị "
        "có liên quan của Trường."
    ),
    h(3, "Điều 2. Giải thích từ ngữ"),
    p("Trong Quy chế này, các từ ngữ dưới đây được hiểu như sau:"),
    item(
        "1. Tín chỉ là đơn vị dùng để đo khối lượng học tập của sinh viên; một tín chỉ tương đương "
        "50 giờ học tập định mức, trong đó có 15 giờ lên lớp."
    ),
    item(
        "2. Học phần là khối lượng kiến thức tương đối trọn vẹn, có từ 2 đến 4 tín chỉ, được bố trí "
        "giảng dạy trọn vẹn trong một học kỳ."
    ),
    item(
        "3. Cố vấn học tập là giảng viên được Khoa phân công theo dõi, tư vấn cho một lớp sinh viên "
        "trong suốt khóa học."
    ),
    h(3, "Điều 3. Thời gian đào tạo"),
    item(
        "1. Thời gian đào tạo chuẩn của chương trình đại học là 4 năm; riêng ngành Kỹ thuật xây dựng "
        "là 4,5 năm."
    ),
    item(
        "2. Thời gian tối đa để sinh viên hoàn thành khóa học không vượt quá 2 lần thời gian đào tạo "
        "chuẩn của chương trình."
    ),
    item(
        "3. Mỗi năm học có hai học kỳ chính, mỗi học kỳ gồm 15 tuần thực học và 3 tuần thi; ngoài ra "
        "Trường có thể tổ chức học kỳ hè trong 6 tuần."
    ),
    h(1, "Chương II. TỔ CHỨC ĐÀO TẠO"),
    h(2, "Mục 1. ĐĂNG KÝ HỌC PHẦN"),
    h(3, "Điều 4. Khối lượng học tập đăng ký"),
    item(
        "1. Khối lượng học tập tối thiểu mà sinh viên phải đăng ký trong mỗi học kỳ chính là "
        "14 tín chỉ, trừ học kỳ cuối khóa."
    ),
    item(
        "2. Khối lượng học tập tối đa là 25 tín chỉ; sinh viên được xếp loại học lực giỏi trở lên ở "
        "học kỳ liền trước được đăng ký tối đa 30 tín chỉ."
    ),
    item("3. Khối lượng học tập tối đa trong học kỳ hè là 9 tín chỉ."),
    h(3, "Điều 5. Thời hạn đăng ký"),
    item(
        "1. Sinh viên đăng ký học phần trực tuyến trên cổng thông tin đào tạo trong 2 tuần cuối của "
        "học kỳ trước."
    ),
    item(
        "2. Trong 2 tuần đầu của học kỳ chính, sinh viên được đăng ký bổ sung hoặc rút bớt học phần; "
        "quá thời hạn này, học phần đã đăng ký được giữ nguyên và phải nộp học phí."
    ),
    h(3, "Điều 6. Rút học phần và học lại"),
    item(
        "1. Sinh viên được rút học phần đã đăng ký sau thời hạn quy định tại khoản 2 Điều 5 nếu có lý "
        "do chính đáng và được cố vấn học tập đồng ý; học phần được rút ghi điểm R và không tính vào "
        "điểm trung bình."
    ),
    item(
        "2. Sinh viên phải đăng ký học lại học phần bắt buộc bị điểm F; đối với học phần tự chọn bị "
        "điểm F, sinh viên được học lại học phần đó hoặc chọn học phần tự chọn khác cùng nhóm."
    ),
    item(
        "3. Sinh viên có học phần đạt điểm D được đăng ký học lại để cải thiện điểm; điểm cao nhất trong "
        "các lần học được dùng để tính điểm trung bình tích lũy."
    ),
    h(2, "Mục 2. ĐÁNH GIÁ KẾT QUẢ HỌC TẬP"),
    h(3, "Điều 7. Đánh giá học phần"),
    item(
        "1. Điểm học phần là tổng các điểm thành phần nhân với trọng số tương ứng, trong đó điểm thi "
        "kết thúc học phần có trọng số không dưới 50%."
    ),
    item(
        "2. Sinh viên được dự thi kết thúc học phần khi tham dự từ 80% số giờ lên lớp của học phần trở lên."
    ),
    item(
        "3. Điểm học phần được làm tròn đến một chữ số thập phân theo thang điểm 10, sau đó quy đổi "
        "sang điểm chữ như sau:"
    ),
    item("a) Loại A: từ 8,5 đến 10,0;"),
    item("b) Loại B: từ 7,0 đến 8,4;"),
    item("c) Loại C: từ 5,5 đến 6,9;"),
    item("d) Loại D: từ 4,0 đến 5,4;"),
    item("đ) Loại F: dưới 4,0."),
    h(3, "Điều 8. Phúc khảo bài thi"),
    item(
        "1. Sinh viên có quyền nộp đơn đề nghị phúc khảo bài thi kết thúc học phần trong thời hạn "
        "7 ngày làm việc kể từ ngày công bố điểm."
    ),
    item(
        "2. Lệ phí phúc khảo là 30.000 đồng cho mỗi bài thi; lệ phí được hoàn lại nếu kết quả phúc "
        "khảo làm thay đổi điểm của sinh viên."
    ),
    h(3, "Điều 9. Xếp loại học lực"),
    item(
        "1. Kết quả học tập của sinh viên được đánh giá sau mỗi học kỳ theo điểm trung bình học kỳ và "
        "điểm trung bình tích lũy tính theo thang điểm 4."
    ),
    item("2. Sinh viên được xếp loại học lực theo điểm trung bình tích lũy như sau:"),
    item("a) Xuất sắc: từ 3,60 đến 4,00;"),
    item("b) Giỏi: từ 3,20 đến 3,59;"),
    item("c) Khá: từ 2,50 đến 3,19;"),
    item("d) Trung bình: từ 2,00 đến 2,49;"),
    item("đ) Yếu: dưới 2,00."),
    h(1, "Chương III. XỬ LÝ HỌC VỤ VÀ CÔNG NHẬN TỐT NGHIỆP"),
    h(3, "Điều 10. Cảnh báo học tập"),
    item("1. Cuối mỗi học kỳ chính, sinh viên bị cảnh báo học tập trong các trường hợp sau:"),
    item(
        "a) Điểm trung bình học kỳ đạt dưới 0,80 đối với học kỳ đầu của khóa học, dưới 1,00 đối với "
        "các học kỳ tiếp theo;"
    ),
    item(
        "b) Điểm trung bình tích lũy đạt dưới 1,20 đối với sinh viên năm thứ nhất, dưới 1,40 đối với "
        "sinh viên năm thứ hai, dưới 1,60 đối với sinh viên năm thứ ba và dưới 1,80 đối với sinh viên "
        "các năm tiếp theo;"
    ),
    item("c) Tổng số tín chỉ không đạt trong học kỳ vượt quá 50% khối lượng đã đăng ký."),
    item(
        "2. Sinh viên bị cảnh báo học tập phải gặp cố vấn học tập để lập kế hoạch học tập trong "
        "2 tuần đầu của học kỳ kế tiếp."
    ),
    h(3, "Điều 11. Buộc thôi học"),
    p("Sinh viên bị buộc thôi học trong các trường hợp sau:"),
    item("a) Bị cảnh báo học tập 2 lần liên tiếp;"),
    item("b) Vượt quá thời gian tối đa được phép học quy định tại khoản 2 Điều 3;"),
    item("c) Bị kỷ luật lần thứ hai vì lý do đi thi hộ hoặc nhờ người thi hộ."),
    h(3, "Điều 12. Công nhận tốt nghiệp"),
    item("1. Sinh viên được xét và công nhận tốt nghiệp khi có đủ các điều kiện sau:"),
    item("a) Tích lũy đủ số tín chỉ của chương trình đào tạo, tối thiểu 128 tín chỉ;"),
    item("b) Điểm trung bình tích lũy của toàn khóa học đạt từ 2,00 trở lên;"),
    item("c) Có chứng chỉ ngoại ngữ đạt bậc 3 theo Khung năng lực ngoại ngữ 6 bậc dùng cho Việt Nam;"),
    item(
        "d) Không đang bị truy cứu trách nhiệm hình sự và không đang trong thời gian bị kỷ luật ở mức "
        "đình chỉ học tập."
    ),
    item(
        "2. Hạng tốt nghiệp được xác định theo điểm trung bình tích lũy toàn khóa; hạng tốt nghiệp của "
        "sinh viên loại xuất sắc và giỏi bị giảm đi một mức nếu khối lượng học phần phải học lại vượt "
        "quá 5% tổng số tín chỉ của chương trình."
    ),
    h(3, "Điều 13. Hiệu lực thi hành"),
    p(
        "Quy chế này được áp dụng từ năm học 2025-2026 và thay thế Quy chế ban hành kèm theo Quyết định "
        "số 318/QĐ-ĐHDH ngày 20 tháng 8 năm 2021 của Hiệu trưởng Trường Đại học Duyên Hải."
    ),
    sig("HIỆU TRƯỞNG"),
    sig("PGS.TS. Nguyễn Hữu Lâm"),
]

# =================================================================================================
# 2. Resolution (.md): HĐND xã An Phú, agricultural support policy
# =================================================================================================

NGHI_QUYET = [
    p("HỘI ĐỒNG NHÂN DÂN XÃ AN PHÚ", style="bold"),
    p("Số: 15/NQ-HĐND"),
    p("An Phú, ngày 18 tháng 12 năm 2025", style="italic"),
    title("NGHỊ QUYẾT"),
    p(
        "Quy định chính sách hỗ trợ phát triển sản xuất nông nghiệp trên địa bàn xã An Phú giai đoạn "
        "2026 - 2030",
        style="bold",
    ),
    p("HỘI ĐỒNG NHÂN DÂN XÃ AN PHÚ KHÓA I, KỲ HỌP THỨ NĂM", style="bold"),
    p("Căn cứ Luật Tổ chức chính quyền địa phương;", style="italic"),
    p("Căn cứ Luật Ngân sách nhà nước;", style="italic"),
    p(
        "Xét Tờ trình số 112/TTr-UBND ngày 05 tháng 12 năm 2025 của Ủy ban nhân dân xã; Báo cáo thẩm "
        "tra của Ban Kinh tế - Ngân sách Hội đồng nhân dân xã và ý kiến thảo luận của đại biểu Hội đồng "
        "nhân dân xã tại kỳ họp.",
        style="italic",
    ),
    p("QUYẾT NGHỊ:", style="bold"),
    h(1, "Chương I. QUY ĐỊNH CHUNG"),
    h(2, "Điều 1. Phạm vi điều chỉnh"),
    p(
        "Nghị quyết này quy định nội dung, mức hỗ trợ phát triển sản xuất nông nghiệp trên địa bàn xã "
        "An Phú giai đoạn 2026 - 2030 từ nguồn ngân sách xã."
    ),
    h(2, "Điều 2. Đối tượng áp dụng"),
    item("1. Hộ gia đình, cá nhân trực tiếp sản xuất nông nghiệp có nơi thường trú trên địa bàn xã."),
    item("2. Hợp tác xã, tổ hợp tác nông nghiệp có trụ sở trên địa bàn xã."),
    item("3. Cơ quan, tổ chức, cá nhân có liên quan đến việc thực hiện chính sách."),
    h(2, "Điều 3. Nguyên tắc hỗ trợ"),
    item(
        "1. Hỗ trợ sau đầu tư, khi đối tượng đã hoàn thành nội dung được hỗ trợ và được Ủy ban nhân dân "
        "xã nghiệm thu."
    ),
    item(
        "2. Trường hợp một nội dung được hưởng nhiều chính sách khác nhau thì đối tượng được chọn một "
        "chính sách có mức hỗ trợ cao nhất."
    ),
    item("3. Mỗi đối tượng được hỗ trợ không quá 2 lần cho cùng một nội dung trong cả giai đoạn."),
    h(1, "Chương II. NỘI DUNG VÀ MỨC HỖ TRỢ"),
    h(2, "Điều 4. Hỗ trợ chuyển đổi cơ cấu cây trồng"),
    item(
        "1. Hỗ trợ một lần 50% chi phí mua giống cây trồng khi chuyển đổi từ đất trồng lúa kém hiệu quả "
        "sang trồng cây ăn quả hoặc rau an toàn, tối đa 10 triệu đồng/ha."
    ),
    item("2. Điều kiện được hỗ trợ:"),
    item("a) Diện tích chuyển đổi tập trung từ 0,5 ha trở lên;"),
    item("b) Phù hợp với kế hoạch chuyển đổi cơ cấu cây trồng được Ủy ban nhân dân xã phê duyệt;"),
    item("c) Cam kết duy trì sản xuất ít nhất 3 năm."),
    h(2, "Điều 5. Hỗ trợ tưới tiết kiệm nước"),
    p(
        "Hỗ trợ 40% chi phí lắp đặt hệ thống tưới nhỏ giọt hoặc tưới phun mưa, tối đa 15 triệu đồng/ha "
        "và không quá 45 triệu đồng/hộ."
    ),
    h(2, "Điều 6. Hỗ trợ chứng nhận sản phẩm an toàn"),
    item("1. Hỗ trợ 100% chi phí cấp giấy chứng nhận VietGAP lần đầu, tối đa 20 triệu đồng/cơ sở."),
    item("2. Hỗ trợ 50% chi phí chứng nhận lại khi giấy chứng nhận hết hiệu lực, tối đa 8 triệu đồng/cơ sở."),
    h(2, "Điều 7. Hỗ trợ liên kết tiêu thụ sản phẩm"),
    p(
        "Hợp tác xã có hợp đồng liên kết tiêu thụ sản phẩm với doanh nghiệp từ 2 năm trở lên được hỗ "
        "trợ một lần 30% chi phí xây dựng nhà sơ chế, kho lạnh, tối đa 150 triệu đồng/hợp tác xã."
    ),
    h(1, "Chương III. TỔ CHỨC THỰC HIỆN"),
    h(2, "Điều 8. Kinh phí thực hiện"),
    item(
        "1. Tổng kinh phí dự kiến thực hiện chính sách giai đoạn 2026 - 2030 là 4,2 tỷ đồng, bố trí từ "
        "dự toán chi ngân sách xã hằng năm."
    ),
    item("2. Khuyến khích huy động các nguồn vốn hợp pháp khác để thực hiện chính sách."),
    h(2, "Điều 9. Trách nhiệm thi hành"),
    item(
        "1. Giao Ủy ban nhân dân xã tổ chức thực hiện Nghị quyết; hằng năm báo cáo kết quả tại kỳ họp "
        "cuối năm của Hội đồng nhân dân xã."
    ),
    item(
        "2. Thường trực Hội đồng nhân dân, các Ban của Hội đồng nhân dân và đại biểu Hội đồng nhân dân "
        "xã giám sát việc thực hiện Nghị quyết."
    ),
    h(2, "Điều 10. Hiệu lực thi hành"),
    p(
        "Nghị quyết này đã được Hội đồng nhân dân xã An Phú khóa I, kỳ họp thứ năm thông qua ngày 18 "
        "tháng 12 năm 2025 và có hiệu lực từ ngày 01 tháng 01 năm 2026."
    ),
    sig("CHỦ TỊCH"),
    sig("Lê Văn Thạnh"),
]

# =================================================================================================
# 3. Regulation (.txt): village cultural house rules, plain text copied out of Word
# =================================================================================================

NHA_VAN_HOA = [
    p("ỦY BAN NHÂN DÂN XÃ AN PHÚ"),
    title("QUY ĐỊNH"),
    p("Quản lý, sử dụng Nhà văn hóa thôn Phú Thạnh"),
    p("(Ban hành kèm theo Quyết định số 87/QĐ-UBND ngày 05 tháng 3 năm 2025 của Ủy ban nhân dân xã An Phú)"),
    h(1, "Chương I"),
    h(1, "QUY ĐỊNH CHUNG"),
    h(3, "Điều 1. Phạm vi điều chỉnh"),
    p(
        "Quy định này quy định việc quản lý, sử dụng và khai thác Nhà văn hóa thôn Phú Thạnh, gồm hội "
        "trường 200 chỗ ngồi, sân thể thao và khu vui chơi thiếu nhi."
    ),
    h(3, "Điều 2. Ban quản lý Nhà văn hóa"),
    item(
        "1. Ban quản lý Nhà văn hóa gồm 05 thành viên: Trưởng thôn làm Trưởng ban; Chi hội trưởng Chi "
        "hội Phụ nữ làm Phó Trưởng ban; Bí thư Chi đoàn, Chi hội trưởng Chi hội Cựu chiến binh và "
        "01 người trông coi là thành viên."
    ),
    item("2. Ban quản lý có các nhiệm vụ sau:"),
    item("a) Lập lịch sử dụng Nhà văn hóa hằng tháng và niêm yết tại bảng tin của thôn;"),
    item("b) Thu, chi và công khai các khoản đóng góp theo quy định tại Điều 7;"),
    item("c) Kiểm tra, bảo quản tài sản, trang thiết bị; báo cáo Ủy ban nhân dân xã khi có hư hỏng."),
    h(1, "Chương II"),
    h(1, "SỬ DỤNG NHÀ VĂN HÓA"),
    h(3, "Điều 3. Các hoạt động được tổ chức"),
    p("Nhà văn hóa được sử dụng cho các hoạt động sau:"),
    item("a) Họp thôn, sinh hoạt của chi bộ và các đoàn thể;"),
    item("b) Hoạt động văn hóa, văn nghệ, thể dục, thể thao;"),
    item("c) Lớp học cộng đồng, tuyên truyền pháp luật, tập huấn khuyến nông;"),
    item("d) Tổ chức tiệc cưới, đám giỗ của hộ gia đình trong thôn."),
    h(3, "Điều 4. Đăng ký sử dụng"),
    item(
        "1. Hộ gia đình có nhu cầu tổ chức tiệc cưới, đám giỗ phải đăng ký với Ban quản lý trước ít "
        "nhất 05 ngày."
    ),
    item("2. Mỗi hộ gia đình được sử dụng Nhà văn hóa không quá 02 ngày liên tục cho một sự kiện."),
    item("3. Khi trùng lịch, ưu tiên hoạt động chung của thôn và của các đoàn thể."),
    h(3, "Điều 5. Thời gian mở cửa"),
    p(
        "Nhà văn hóa mở cửa từ 6 giờ 30 đến 21 giờ 30 hằng ngày; hoạt động văn nghệ, tiệc cưới phải "
        "kết thúc trước 22 giờ 00."
    ),
    h(3, "Điều 6. Các hành vi bị nghiêm cấm"),
    p("Nghiêm cấm các hành vi sau trong khuôn viên Nhà văn hóa:"),
    item("a) Đánh bạc, tổ chức đánh bạc dưới mọi hình thức;"),
    item("b) Hút thuốc lá trong hội trường;"),
    item("c) Sử dụng loa, thiết bị âm thanh gây ồn sau 22 giờ 00;"),
    item("d) Tự ý di chuyển, tháo dỡ trang thiết bị;"),
    item("đ) Chăn thả gia súc, gia cầm trong khuôn viên."),
    h(3, "Điều 7. Mức đóng góp"),
    item("1. Tổ chức tiệc cưới: 300.000 đồng/ngày."),
    item("2. Tổ chức đám giỗ, sinh nhật: 150.000 đồng/ngày."),
    item("3. Hoạt động chung của thôn, chi bộ, đoàn thể và lớp học cộng đồng không phải đóng góp."),
    item(
        "4. Tiền đóng góp dùng để trả tiền điện, nước, vệ sinh và sửa chữa nhỏ; Ban quản lý công khai "
        "thu, chi mỗi quý một lần tại cuộc họp thôn."
    ),
    h(1, "Chương III"),
    h(1, "TỔ CHỨC THỰC HIỆN"),
    h(3, "Điều 8. Xử lý vi phạm"),
    p(
        "Người làm hư hỏng, mất mát tài sản của Nhà văn hóa phải bồi thường theo giá trị thực tế; "
        "trường hợp vi phạm nhiều lần, Ban quản lý từ chối cho sử dụng Nhà văn hóa trong thời hạn "
        "12 tháng."
    ),
    h(3, "Điều 9. Trách nhiệm thi hành"),
    p(
        "Trưởng thôn Phú Thạnh có trách nhiệm phổ biến Quy định này đến các hộ gia đình; trong quá "
        "trình thực hiện, nếu có vướng mắc, Ban quản lý báo cáo Ủy ban nhân dân xã để xem xét, sửa đổi."
    ),
]

# =================================================================================================
# 4. Contract (.docx): labour contract
# =================================================================================================

HD_LAO_DONG = [
    p("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="center", style="bold"),
    p("Độc lập - Tự do - Hạnh phúc", align="center", style="bold"),
    title("HỢP ĐỒNG LAO ĐỘNG"),
    p("Số: 27/2025/HĐLĐ-HM", align="center"),
    p("Hôm nay, ngày 20 tháng 01 năm 2025, tại văn phòng Công ty TNHH Thực phẩm Hải Minh, chúng tôi gồm:"),
    p("Bên A (Người sử dụng lao động): Công ty TNHH Thực phẩm Hải Minh", style="bold"),
    p("Địa chỉ: Lô B7, Khu công nghiệp Phú Tài Nam, tỉnh Hải Đông"),
    p("Đại diện: Bà Trần Thị Mỹ Duyên, chức vụ: Giám đốc"),
    p("Bên B (Người lao động): Ông Phạm Quốc Khánh", style="bold"),
    p("Sinh ngày: 14/06/1996, tại tỉnh Hải Đông"),
    p("Trình độ: Kỹ sư Công nghệ thực phẩm"),
    p("Thỏa thuận ký kết hợp đồng lao động và cam kết làm đúng những điều khoản sau đây:"),
    h(2, "Điều 1. Công việc và địa điểm làm việc"),
    item("1. Chức danh chuyên môn: Kỹ thuật viên kiểm soát chất lượng (QC)."),
    item(
        "2. Công việc phải làm: kiểm tra nguyên liệu đầu vào, giám sát vệ sinh dây chuyền và lập báo "
        "cáo chất lượng từng ca sản xuất."
    ),
    item("3. Địa điểm làm việc: Nhà máy chế biến số 2, Khu công nghiệp Phú Tài Nam."),
    h(2, "Điều 2. Thời hạn hợp đồng"),
    item(
        "1. Loại hợp đồng: hợp đồng lao động xác định thời hạn 24 tháng, từ ngày 01/02/2025 đến ngày "
        "31/01/2027."
    ),
    item("2. Thời gian thử việc: 60 ngày, từ ngày 01/02/2025 đến ngày 01/4/2025."),
    h(2, "Điều 3. Thời giờ làm việc, nghỉ ngơi"),
    item("1. Thời giờ làm việc: 8 giờ/ngày, 48 giờ/tuần, từ thứ Hai đến thứ Bảy."),
    item("2. Ca làm việc: từ 7 giờ 30 đến 16 giờ 30, nghỉ giữa ca 60 phút."),
    item(
        "3. Bên B được nghỉ hằng năm 12 ngày làm việc hưởng nguyên lương và nghỉ các ngày lễ, Tết theo "
        "quy định của Bộ luật Lao động."
    ),
    h(2, "Điều 4. Tiền lương và phụ cấp"),
    item("1. Mức lương chính: 11.800.000 đồng/tháng."),
    item("2. Phụ cấp:"),
    item("a) Phụ cấp ăn ca: 850.000 đồng/tháng;"),
    item("b) Phụ cấp độc hại: 500.000 đồng/tháng;"),
    item("c) Hỗ trợ xăng xe: 300.000 đồng/tháng."),
    item("3. Trong thời gian thử việc, Bên B hưởng 85% mức lương chính."),
    item("4. Hình thức trả lương: chuyển khoản vào ngày 05 hằng tháng."),
    item("5. Mức lương được xem xét điều chỉnh mỗi năm một lần, vào tháng 01."),
    h(2, "Điều 5. Nghĩa vụ của Bên B"),
    item("a) Bên B làm việc đúng giờ;"),
    item("b) Bên B chấp hành nội quy lao động và quy trình an toàn thực phẩm của Bên A;"),
    item("c) Bên B bảo quản tài sản, thiết bị được giao;"),
    item("d) Bên B giữ bí mật công thức chế biến và thông tin khách hàng của Bên A;"),
    item("đ) Bên B bồi thường thiệt hại do vi phạm của mình gây ra theo quy định của pháp luật."),
    h(2, "Điều 6. Nghĩa vụ của Bên A"),
    item("a) Bên A trả lương đầy đủ, đúng hạn cho Bên B;"),
    item("b) Bên A đóng bảo hiểm xã hội, bảo hiểm y tế, bảo hiểm thất nghiệp cho Bên B theo quy định;"),
    item("c) Bên A cấp đủ trang phục và phương tiện bảo hộ lao động;"),
    item("d) Bên A tổ chức khám sức khỏe định kỳ cho Bên B 01 lần/năm."),
    h(2, "Điều 7. Chấm dứt hợp đồng"),
    item("1. Bên B đơn phương chấm dứt hợp đồng phải báo trước cho Bên A ít nhất 30 ngày."),
    item(
        "2. Bên A đơn phương chấm dứt hợp đồng trong các trường hợp pháp luật cho phép phải báo trước "
        "ít nhất 30 ngày và thanh toán đủ tiền lương, phụ cấp đến ngày chấm dứt."
    ),
    h(2, "Điều 8. Điều khoản thi hành"),
    p(
        "Hợp đồng này được lập thành 02 bản có giá trị như nhau, mỗi bên giữ 01 bản, có hiệu lực từ "
        "ngày 01/02/2025."
    ),
    sig("NGƯỜI LAO ĐỘNG", align="left"),
    sig("Phạm Quốc Khánh", align="left", style=""),
    sig("NGƯỜI SỬ DỤNG LAO ĐỘNG"),
    sig("Trần Thị Mỹ Duyên", style=""),
]

# =================================================================================================
# 5. Contract (.docx): street cleaning service contract with a price table
# =================================================================================================

HD_VE_SINH_TABLE = Table(
    header=[["STT", "Hạng mục", "Đơn vị tính", "Khối lượng/năm", "Đơn giá (đồng)", "Thành tiền (đồng)"]],
    rows=[
        ["1", "Quét, gom rác đường phố", "km", "5.460", "285.000", "1.556.100.000"],
        ["2", "Thu gom, vận chuyển rác sinh hoạt", "tấn", "7.300", "410.000", "2.993.000.000"],
        [C("Tổng cộng (đã bao gồm thuế giá trị gia tăng)", colspan=5), "4.549.100.000"],
    ],
    caption="Bảng khối lượng và giá trị dịch vụ",
    col_widths=(0.6, 3.2, 1.1, 1.5, 1.5, 2.0),
)

HD_VE_SINH = [
    p("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="center", style="bold"),
    p("Độc lập - Tự do - Hạnh phúc", align="center", style="bold"),
    title("HỢP ĐỒNG DỊCH VỤ"),
    p("Số: 09/2025/HĐDV", align="center"),
    p(
        "Về việc: Quét, thu gom và vận chuyển rác thải sinh hoạt trên địa bàn phường An Thịnh năm 2025",
        align="center",
    ),
    p("Căn cứ Bộ luật Dân sự ngày 24 tháng 11 năm 2015;", style="italic"),
    p(
        "Căn cứ Quyết định số 35/QĐ-UBND ngày 06 tháng 01 năm 2025 của Ủy ban nhân dân phường An Thịnh "
        "về việc phê duyệt kết quả lựa chọn nhà thầu;",
        style="italic",
    ),
    p("Hôm nay, ngày 10 tháng 01 năm 2025, tại trụ sở Ủy ban nhân dân phường An Thịnh, chúng tôi gồm:"),
    p("Bên A (Bên thuê dịch vụ): Ủy ban nhân dân phường An Thịnh", style="bold"),
    p("Đại diện: Ông Lê Hoàng Phúc, Chủ tịch Ủy ban nhân dân phường"),
    p("Bên B (Bên cung cấp dịch vụ): Công ty Cổ phần Môi trường Biển Xanh", style="bold"),
    p("Đại diện: Bà Ngô Thị Thanh Vân, Giám đốc"),
    p("Hai bên thống nhất ký kết hợp đồng với các điều khoản sau:"),
    h(2, "Điều 1. Nội dung dịch vụ"),
    p(
        "Bên B thực hiện quét, thu gom và vận chuyển rác thải sinh hoạt trên 42 tuyến đường của phường "
        "An Thịnh đến Khu xử lý chất thải rắn Phú Hậu."
    ),
    h(2, "Điều 2. Khối lượng và giá trị hợp đồng"),
    item("1. Khối lượng, đơn giá và thành tiền từng hạng mục như sau:"),
    table(HD_VE_SINH_TABLE),
    item(
        "2. Giá trị hợp đồng: 4.549.100.000 đồng (Bằng chữ: Bốn tỷ, năm trăm bốn mươi chín triệu, một "
        "trăm nghìn đồng)."
    ),
    item("3. Đơn giá cố định trong suốt thời gian thực hiện hợp đồng."),
    h(2, "Điều 3. Thời gian thực hiện"),
    item("1. Thời gian thực hiện hợp đồng là 12 tháng, từ ngày 01/02/2025 đến ngày 31/01/2026."),
    item(
        "2. Việc quét đường thực hiện từ 18 giờ 00 đến 22 giờ 00 hằng ngày; việc thu gom rác tại các "
        "chợ phải hoàn thành trước 6 giờ 00."
    ),
    h(2, "Điều 4. Thanh toán"),
    p(
        "Bên A thanh toán cho Bên B hằng tháng theo khối lượng nghiệm thu thực tế, trong vòng 15 ngày "
        "kể từ ngày nhận đủ hồ sơ thanh toán hợp lệ."
    ),
    h(2, "Điều 5. Trách nhiệm của Bên B"),
    item("a) Bên B bố trí đủ 38 công nhân và 6 xe ép rác chuyên dùng;"),
    item("b) Bên B trang bị bảo hộ lao động cho công nhân;"),
    item("c) Bên B không để rác tồn đọng trên đường phố quá 24 giờ;"),
    item("d) Bên B chịu trách nhiệm về an toàn lao động trong quá trình thực hiện dịch vụ."),
    h(2, "Điều 6. Trách nhiệm của Bên A"),
    item("a) Bên A cung cấp danh mục tuyến đường và điểm tập kết rác;"),
    item("b) Bên A giám sát, nghiệm thu khối lượng hằng tháng;"),
    item("c) Bên A thanh toán đúng hạn theo Điều 4."),
    h(2, "Điều 7. Phạt vi phạm"),
    p(
        "Nếu Bên B để rác tồn đọng quá 24 giờ mà không có lý do chính đáng, Bên A trừ 2% giá trị thanh "
        "toán của tháng đó cho mỗi lần vi phạm; tổng mức phạt không vượt quá 8% giá trị hợp đồng."
    ),
    h(2, "Điều 8. Điều khoản chung"),
    p("Hợp đồng được lập thành 06 bản có giá trị pháp lý như nhau, Bên A giữ 04 bản, Bên B giữ 02 bản."),
    sig("ĐẠI DIỆN BÊN A", align="left"),
    sig("Lê Hoàng Phúc", align="left", style=""),
    sig("ĐẠI DIỆN BÊN B"),
    sig("Ngô Thị Thanh Vân", style=""),
]

# =================================================================================================
# 6-7. Report with an indicator table (.docx and the same report as a multi-page .pdf)
# =================================================================================================

KT_XH_TABLE = Table(
    header=[
        [
            C("TT", rowspan=2),
            C("Chỉ tiêu", rowspan=2),
            C("Đơn vị tính", rowspan=2),
            C("Thực hiện 2024", rowspan=2),
            C("Năm 2025", colspan=2),
            C("So sánh (%)", colspan=2),
        ],
        ["Kế hoạch", "Thực hiện", "Thực hiện so với kế hoạch", "Năm 2025 so với năm 2024"],
    ],
    rows=[
        ["A", C("KINH TẾ", colspan=7)],
        [
            "1",
            "Tổng giá trị sản xuất (giá so sánh 2010)",
            "Tỷ đồng",
            "4.215,0",
            "4.600,0",
            "4.683,7",
            "101,8",
            "111,1",
        ],
        [
            "2",
            "Tổng thu ngân sách nhà nước trên địa bàn",
            "Tỷ đồng",
            "286,4",
            "300,0",
            "318,6",
            "106,2",
            "111,2",
        ],
        ["3", "Tổng chi ngân sách phường", "Tỷ đồng", "142,7", "150,5", "147,9", "98,3", "103,6"],
        [
            "4",
            "Tổng vốn đầu tư phát triển toàn xã hội",
            "Tỷ đồng",
            "1.120,0",
            "1.250,0",
            "1.302,5",
            "104,2",
            "116,3",
        ],
        ["5", "Kim ngạch xuất khẩu", "Triệu USD", "58,3", "62,0", "64,9", "104,7", "111,3"],
        [
            "6",
            "Thu nhập bình quân đầu người",
            "Triệu đồng/người/năm",
            "78,5",
            "84,0",
            "85,2",
            "101,4",
            "108,5",
        ],
        ["B", C("VĂN HÓA - XÃ HỘI", colspan=7)],
        ["7", "Tỷ lệ hộ nghèo (theo chuẩn nghèo đa chiều)", "%", "1,12", "0,80", "0,74", "-", "-"],
        ["8", "Số lao động được tạo việc làm mới", "Người", "1.050", "1.100", "1.186", "107,8", "113,0"],
        ["9", "Tỷ lệ người dân tham gia bảo hiểm y tế", "%", "93,6", "95,0", "95,4", "-", "-"],
        ["10", "Số trường đạt chuẩn quốc gia", "Trường", "9", "10", "10", "100,0", "111,1"],
        ["C", C("MÔI TRƯỜNG", colspan=7)],
        ["11", "Tỷ lệ chất thải rắn sinh hoạt được thu gom, xử lý", "%", "97,0", "98,0", "98,5", "-", "-"],
        ["12", "Tỷ lệ hộ dân sử dụng nước sạch", "%", "99,1", "99,5", "99,6", "-", "-"],
    ],
    caption="Bảng 1. Kết quả thực hiện các chỉ tiêu chủ yếu năm 2025",
    note="Nguồn: Phòng Kinh tế và Phòng Văn hóa - Xã hội phường An Thịnh, số liệu ước đến 30/11/2025.",
    col_widths=(0.7, 4.2, 1.8, 1.4, 1.3, 1.3, 1.5, 1.6),
)

KT_XH_2026 = Table(
    header=[["TT", "Chỉ tiêu", "Đơn vị tính", "Kế hoạch năm 2026"]],
    rows=[
        ["1", "Tốc độ tăng tổng giá trị sản xuất", "%", "9,5"],
        ["2", "Tổng thu ngân sách nhà nước trên địa bàn", "Tỷ đồng", "335,0"],
        ["3", "Kim ngạch xuất khẩu", "Triệu USD", "70,0"],
        ["4", "Thu nhập bình quân đầu người", "Triệu đồng/người/năm", "92,0"],
        ["5", "Tỷ lệ hộ nghèo (theo chuẩn nghèo đa chiều)", "%", "dưới 0,5"],
        ["6", "Số lao động được tạo việc làm mới", "Người", "1.200"],
        ["7", "Tỷ lệ người dân tham gia bảo hiểm y tế", "%", "96,0"],
    ],
    caption="Bảng 2. Một số chỉ tiêu chủ yếu năm 2026",
    col_widths=(0.7, 5.0, 2.2, 2.0),
)

KT_XH = [
    p("ỦY BAN NHÂN DÂN PHƯỜNG AN THỊNH", style="bold"),
    p("Số: 245/BC-UBND"),
    p("An Thịnh, ngày 05 tháng 12 năm 2025", align="right", style="italic"),
    title("BÁO CÁO"),
    p(
        "Tình hình thực hiện nhiệm vụ phát triển kinh tế - xã hội năm 2025 và phương hướng, nhiệm vụ "
        "năm 2026",
        align="center",
        style="bold",
    ),
    h(1, "I. KẾT QUẢ THỰC HIỆN NHIỆM VỤ NĂM 2025"),
    p(
        "Năm 2025 là năm đầu tiên phường An Thịnh hoạt động theo mô hình chính quyền địa phương hai cấp. "
        "Trong bối cảnh còn nhiều khó khăn, Ủy ban nhân dân phường đã tập trung chỉ đạo, điều hành quyết "
        "liệt; kinh tế tiếp tục tăng trưởng, an sinh xã hội được bảo đảm."
    ),
    p(
        "Toàn phường có 17/20 chỉ tiêu chủ yếu đạt và vượt kế hoạch; 3 chỉ tiêu chưa đạt gồm tổng chi "
        "ngân sách, tỷ lệ trẻ em dưới 5 tuổi suy dinh dưỡng và số doanh nghiệp thành lập mới."
    ),
    p("Kết quả thực hiện các chỉ tiêu chủ yếu được tổng hợp tại Bảng 1 dưới đây."),
    table(KT_XH_TABLE),
    h(2, "1. Về kinh tế"),
    p(
        "Ngành thương mại - dịch vụ giữ vai trò động lực tăng trưởng, nhất là du lịch biển và dịch vụ "
        "cảng cá. Thu ngân sách vượt dự toán nhờ nguồn thu từ đấu giá quyền sử dụng đất ở khu dân cư "
        "Bắc Lam Giang."
    ),
    p(
        "Chi ngân sách phường chưa đạt kế hoạch do hai công trình kè sông Lam Giang và đường Trần Khắc "
        "Minh chậm giải phóng mặt bằng."
    ),
    h(2, "2. Về văn hóa - xã hội"),
    p(
        "Công tác giảm nghèo đạt kết quả tích cực; phường đã hỗ trợ xây mới 12 căn nhà Đại đoàn kết cho "
        "hộ nghèo. Trường Tiểu học An Thịnh 2 được công nhận đạt chuẩn quốc gia mức độ 1."
    ),
    h(2, "3. Tồn tại, hạn chế"),
    p(
        "Tiến độ giải ngân vốn đầu tư công còn chậm; tình trạng lấn chiếm vỉa hè, xả rác không đúng nơi "
        "quy định ở một số khu vực ven biển chưa được xử lý dứt điểm."
    ),
    h(1, "II. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM 2026"),
    p(
        "Năm 2026, phường An Thịnh tập trung phát triển du lịch biển gắn với di tích Hội Thủy, đẩy nhanh "
        "giải ngân vốn đầu tư công và chỉnh trang đô thị ven sông Lam Giang. Một số chỉ tiêu chủ yếu "
        "năm 2026 như sau:"
    ),
    table(KT_XH_2026),
    p(
        "Ủy ban nhân dân phường kính báo cáo Hội đồng nhân dân phường xem xét, cho ý kiến tại kỳ họp "
        "cuối năm 2025."
    ),
    sig("TM. ỦY BAN NHÂN DÂN"),
    sig("CHỦ TỊCH"),
    sig("Lê Hoàng Phúc", style=""),
]
KT_XH_HEADER = "UBND phường An Thịnh - Báo cáo số 245/BC-UBND ngày 05/12/2025"

# =================================================================================================
# 8. PDF-only report: commune budget (a table that may cross a page, repeated headings)
# =================================================================================================

NGAN_SACH_TABLE = Table(
    header=[
        [
            C("STT", rowspan=2),
            C("Nội dung", rowspan=2),
            C("Năm 2025 (triệu đồng)", colspan=2),
            C("Tỷ lệ thực hiện so với dự toán (%)", rowspan=2),
        ],
        ["Dự toán HĐND xã giao", "Ước thực hiện cả năm"],
    ],
    rows=[
        ["A", "TỔNG THU NGÂN SÁCH XÃ", "38.450", "41.236", "107,2"],
        ["I", "Thu ngân sách xã hưởng theo phân cấp", "9.820", "11.105", "113,1"],
        ["1", "Thuế sử dụng đất phi nông nghiệp", "620", "688", "111,0"],
        ["2", "Lệ phí trước bạ nhà, đất", "2.150", "2.874", "133,7"],
        ["3", "Thu tiền sử dụng đất", "6.000", "6.420", "107,0"],
        ["4", "Thu phí, lệ phí", "380", "402", "105,8"],
        ["5", "Thu khác ngân sách", "670", "721", "107,6"],
        ["II", "Thu bổ sung từ ngân sách cấp trên", "28.630", "30.131", "105,2"],
        ["B", "TỔNG CHI NGÂN SÁCH XÃ", "38.450", "39.870", "103,7"],
        ["1", "Chi đầu tư phát triển", "12.300", "13.215", "107,4"],
        ["2", "Chi thường xuyên", "25.380", "26.655", "105,0"],
        ["3", "Dự phòng ngân sách", "770", "-", "-"],
    ],
    caption="Biểu số 01. Thu, chi ngân sách xã An Phú năm 2025",
    note="Ghi chú: dự phòng ngân sách đã được phân bổ vào chi thường xuyên để khắc phục hậu quả mưa lũ.",
    col_widths=(0.7, 5.0, 1.8, 1.8, 1.9),
)

NGAN_SACH = [
    p("ỦY BAN NHÂN DÂN XÃ AN PHÚ", style="bold"),
    p("Số: 198/BC-UBND"),
    p("An Phú, ngày 10 tháng 12 năm 2025", align="right", style="italic"),
    title("BÁO CÁO"),
    p(
        "Tình hình thực hiện dự toán thu, chi ngân sách xã năm 2025 và dự toán ngân sách năm 2026",
        align="center",
        style="bold",
    ),
    h(1, "I. TÌNH HÌNH THỰC HIỆN DỰ TOÁN NĂM 2025"),
    p(
        "Thực hiện Nghị quyết của Hội đồng nhân dân xã về dự toán ngân sách năm 2025, Ủy ban nhân dân xã "
        "đã chỉ đạo các bộ phận chuyên môn tăng cường quản lý nguồn thu, triệt để tiết kiệm chi thường "
        "xuyên. Nhìn chung, công tác thu ngân sách đạt khá; các khoản chi bảo đảm đúng dự toán và chế độ."
    ),
    h(2, "1. Thu ngân sách"),
    p(
        "Thu ngân sách trên địa bàn vượt dự toán chủ yếu nhờ lệ phí trước bạ nhà, đất tăng mạnh do thị "
        "trường bất động sản khu vực ven quốc lộ sôi động trở lại. Thu tiền sử dụng đất đạt khá nhờ hoàn "
        "thành đấu giá 18 lô đất ở thôn Mỹ Hòa."
    ),
    h(2, "2. Chi ngân sách"),
    p(
        "Chi đầu tư phát triển tập trung cho đường giao thông nông thôn, kênh mương nội đồng và nhà văn "
        "hóa các thôn. Chi thường xuyên bảo đảm hoạt động của bộ máy, các chế độ chính sách an sinh xã "
        "hội và kinh phí khắc phục hậu quả đợt mưa lũ tháng 10."
    ),
    p("Kết quả thu, chi ngân sách năm 2025 chi tiết tại Biểu số 01."),
    table(NGAN_SACH_TABLE),
    p(
        "Kết dư ngân sách năm 2025 ước 1.366 triệu đồng, được chuyển nguồn sang năm 2026 để thực hiện "
        "các công trình chuyển tiếp."
    ),
    h(1, "II. DỰ TOÁN NGÂN SÁCH NĂM 2026"),
    p(
        "Căn cứ số kiểm tra của Ủy ban nhân dân tỉnh Hải Đông, Ủy ban nhân dân xã xây dựng dự toán thu "
        "ngân sách xã năm 2026 là 40.120 triệu đồng, trong đó thu ngân sách xã hưởng theo phân cấp "
        "10.250 triệu đồng."
    ),
    p(
        "Ủy ban nhân dân xã đề nghị Hội đồng nhân dân xã xem xét, quyết định dự toán ngân sách năm 2026 "
        "tại kỳ họp thứ năm."
    ),
    h(1, "III. GIẢI PHÁP ĐIỀU HÀNH NGÂN SÁCH NĂM 2026"),
    p(
        "Ủy ban nhân dân xã tiếp tục rà soát, khai thác các nguồn thu còn tiềm năng, nhất là thu từ cho "
        "thuê mặt bằng chợ và bến bãi; chống thất thu thuế đối với hoạt động kinh doanh nhỏ lẻ và cho thuê "
        "nhà trọ trên địa bàn."
    ),
    p(
        "Việc chi ngân sách thực hiện theo đúng dự toán được giao; ưu tiên bố trí vốn cho các công trình "
        "chuyển tiếp, các công trình đã có quyết định đầu tư và kinh phí thực hiện chính sách hỗ trợ phát "
        "triển sản xuất nông nghiệp theo nghị quyết của Hội đồng nhân dân xã."
    ),
    p(
        "Công khai dự toán và kết quả thực hiện ngân sách theo quy định tại trụ sở Ủy ban nhân dân xã và "
        "trên trang thông tin điện tử của xã; định kỳ hằng quý báo cáo Thường trực Hội đồng nhân dân xã."
    ),
    sig("TM. ỦY BAN NHÂN DÂN"),
    sig("CHỦ TỊCH"),
    sig("Nguyễn Thành Nhân", style=""),
]
NGAN_SACH_HEADER = "UBND xã An Phú - Báo cáo số 198/BC-UBND ngày 10/12/2025"

# =================================================================================================
# 10-11. Scanned official letter (Công văn), .png and image-only .pdf
# =================================================================================================

CONG_VAN_LEFT = [
    Line("ỦY BAN NHÂN DÂN", size=12.5, align="center", x0=200, x1=1150, gap=0),
    Line("PHƯỜNG AN THỊNH", size=12.5, bold=True, align="center", x0=200, x1=1150, gap=0.6),
    Line("Số: 1208/UBND-KT", size=12.5, align="center", x0=200, x1=1150, gap=0.2),
    Line("V/v chủ động ứng phó với bão số 12", size=11.5, align="center", x0=200, x1=1150),
]
CONG_VAN_RIGHT = [
    Line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=11.5, bold=True, align="center", x0=1100, x1=2400, gap=0),
    Line("Độc lập - Tự do - Hạnh phúc", size=12.5, bold=True, align="center", x0=1100, x1=2400, gap=0.6),
    Line("An Thịnh, ngày 14 tháng 10 năm 2025", size=12.5, italic=True, align="center", x0=1100, x1=2400),
]
CONG_VAN_BODY = [
    Line("Kính gửi:", size=13, x0=700, gap=0),
    Line("- Các tổ dân phố trên địa bàn phường;", size=13, x0=1000, gap=0),
    Line("- Ban Chỉ huy Quân sự phường;", size=13, x0=1000, gap=0),
    Line("- Công an phường.", size=13, x0=1000, gap=0.6),
    Line(
        "Thực hiện Công điện số 09/CĐ-UBND ngày 13/10/2025 của Ủy ban nhân dân tỉnh Hải Đông về việc chủ "
        "động ứng phó với bão số 12, Ủy ban nhân dân phường An Thịnh đề nghị các đơn vị triển khai ngay "
        "các nội dung sau:",
        indent=120,
    ),
    Line(
        "1. Rà soát, sẵn sàng di dời 326 hộ với 1.142 nhân khẩu đang sinh sống tại các khu vực ven biển, "
        "nhà ở không bảo đảm an toàn đến 14 điểm sơ tán tập trung trước 17 giờ 00 ngày 15/10/2025.",
        indent=120,
    ),
    Line(
        "2. Kêu gọi 218 tàu thuyền với 1.035 lao động đang hoạt động trên biển vào nơi tránh trú an "
        "toàn; không để tàu thuyền ra khơi kể từ 12 giờ 00 ngày 15/10/2025.",
        indent=120,
    ),
    Line(
        "3. Chuẩn bị lương thực, nước uống đủ dùng ít nhất 3 ngày tại các điểm sơ tán; Ủy ban nhân dân "
        "phường tạm ứng 850 triệu đồng từ nguồn dự phòng ngân sách để thực hiện.",
        indent=120,
    ),
    Line(
        "4. Ban Chỉ huy Quân sự phường bố trí 45 cán bộ, chiến sĩ cùng 2 xuồng cứu hộ thường trực 24/24 "
        "giờ tại khu vực cầu Lam Giang.",
        indent=120,
    ),
    Line(
        "Các đơn vị báo cáo kết quả thực hiện về Ủy ban nhân dân phường (qua Phòng Kinh tế) trước 16 giờ "
        "00 ngày 15/10/2025 để tổng hợp, báo cáo Ủy ban nhân dân tỉnh. Đầu mối liên hệ: ông Đặng Văn "
        "Hùng, Trưởng phòng Kinh tế, điện thoại 0256 3821 456.",
        indent=120,
        gap=1.0,
    ),
    Line("KT. CHỦ TỊCH", size=13, bold=True, align="center", x0=1300, x1=2244, gap=0),
    Line("PHÓ CHỦ TỊCH", size=13, bold=True, align="center", x0=1300, x1=2244, gap=3.2),
    Line("Võ Minh Tâm", size=13, bold=True, align="center", x0=1300, x1=2244, gap=1.0),
    Line("Nơi nhận:", size=11, bold=True, italic=True, gap=0),
    Line("- Như trên;", size=10.5, gap=0),
    Line("- UBND tỉnh Hải Đông (để báo cáo);", size=10.5, gap=0),
    Line("- Lưu: VT, KT.", size=10.5, gap=0),
]

# =================================================================================================
# 12. Mixed PDF: a typed Tờ trình (text layer) + a scanned appendix (image page)
# =================================================================================================

TO_TRINH = [
    p("ỦY BAN NHÂN DÂN XÃ AN PHÚ", style="bold"),
    p("Số: 76/TTr-UBND"),
    p("An Phú, ngày 02 tháng 6 năm 2025", align="right", style="italic"),
    title("TỜ TRÌNH"),
    p(
        "Về việc đề nghị hỗ trợ xây mới, sửa chữa nhà ở cho hộ nghèo và hộ có hoàn cảnh khó khăn năm 2025",
        align="center",
        style="bold",
    ),
    p("Kính gửi: Ban Vận động Quỹ Vì người nghèo tỉnh Hải Đông", align="center"),
    p(
        "Qua rà soát cuối năm 2024, toàn xã An Phú có 12 hộ nghèo, hộ có hoàn cảnh khó khăn đang ở nhà "
        "tạm hoặc nhà xuống cấp nghiêm trọng, không bảo đảm an toàn trong mùa mưa bão."
    ),
    p(
        "Ủy ban nhân dân xã An Phú kính đề nghị Ban Vận động Quỹ Vì người nghèo tỉnh hỗ trợ 7 hộ với tổng "
        "kinh phí 290 triệu đồng, trong đó xây mới nhà ở cho 4 hộ, mức 50 triệu đồng/hộ, và sửa chữa "
        "nhà ở cho 3 hộ, mức 30 triệu đồng/hộ."
    ),
    p(
        "Phần kinh phí còn lại do gia đình, dòng họ và cộng đồng dân cư đóng góp bằng tiền và ngày công "
        "lao động. Các công trình dự kiến hoàn thành trước ngày 30/9/2025."
    ),
    p("Danh sách các hộ đề nghị hỗ trợ tại Phụ lục kèm theo Tờ trình này."),
    sig("TM. ỦY BAN NHÂN DÂN"),
    sig("CHỦ TỊCH"),
    sig("Nguyễn Thành Nhân", style=""),
]

PHU_LUC_HEADER = [
    Line("PHỤ LỤC", size=13, bold=True, align="center", gap=0),
    Line("DANH SÁCH HỘ ĐỀ NGHỊ HỖ TRỢ NHÀ Ở NĂM 2025", size=13, bold=True, align="center", gap=0.1),
    Line(
        "(Kèm theo Tờ trình số 76/TTr-UBND ngày 02/6/2025 của Ủy ban nhân dân xã An Phú)",
        size=12,
        italic=True,
        align="center",
        gap=1.0,
    ),
]
PHU_LUC_ITEMS = [
    "1. Hộ bà Huỳnh Thị Lài, thôn Phú Thạnh: xây mới, 50 triệu đồng.",
    "2. Hộ ông Trương Văn Bảy, thôn Phú Thạnh: xây mới, 50 triệu đồng.",
    "3. Hộ ông Lê Văn Út, thôn Mỹ Hòa: xây mới, 50 triệu đồng.",
    "4. Hộ bà Nguyễn Thị Hường, thôn Mỹ Hòa: xây mới, 50 triệu đồng.",
    "5. Hộ ông Phan Văn Tư, thôn Hòa Đông: sửa chữa, 30 triệu đồng.",
    "6. Hộ bà Đỗ Thị Sen, thôn Hòa Đông: sửa chữa, 30 triệu đồng.",
    "7. Hộ ông Cao Văn Lượm, thôn Tân Lập: sửa chữa, 30 triệu đồng.",
    "Tổng cộng: 7 hộ, 290 triệu đồng.",
]
PHU_LUC_SIGN = [
    Line("NGƯỜI LẬP BIỂU", size=13, bold=True, align="center", x0=1300, x1=2244, gap=3.0),
    Line("Trần Thị Kim Oanh", size=13, bold=True, align="center", x0=1300, x1=2244),
]

# =================================================================================================
# 13-14. Encyclopedia articles (.html): a port town and a 15th-century scholar
# =================================================================================================

HOI_THUY = {
    "title": "Hội Thủy (thương cảng)",
    "lead": [
        "Hội Thủy là một thương cảng cổ nằm ở hạ lưu sông Lam Giang, nay thuộc phường An Thịnh, tỉnh Hải "
        "Đông. Từ thế kỷ XI đến thế kỷ XVIII, đây là nơi thuyền buôn trong nước và nước ngoài neo đậu, "
        "trao đổi hàng hóa. Năm 1994, quần thể di tích Hội Thủy được công nhận là di tích lịch sử - văn "
        "hóa cấp quốc gia."
    ],
    "infobox": [
        ("Tên gọi khác", "Cửa Thủy, Hội Thủy trang"),
        ("Vị trí", "Hạ lưu sông Lam Giang, phường An Thịnh, tỉnh Hải Đông"),
        ("Hình thành", "Thế kỷ XI"),
        ("Thời kỳ hưng thịnh", "Thế kỷ XV – XVII"),
        ("Diện tích khu di tích", "2,8 km²"),
        ("Xếp hạng", "Di tích quốc gia (1994)"),
    ],
    "sections": [
        (
            2,
            "Tên gọi",
            [
                'Theo sách Hải Đông phong thổ ký soạn vào thế kỷ XIX, tên Hội Thủy có nghĩa là "nơi các dòng '
                'nước gặp nhau", chỉ chỗ sông Lam Giang chia làm ba nhánh trước khi đổ ra biển. Trong nhật ký '
                "hải trình năm 1621, các thương nhân người Bồ Đào Nha gọi nơi này là Cachuy.",
            ],
        ),
        (2, "Lịch sử", []),
        (
            3,
            "Thời Ngô và thời Lý",
            [
                "Truyền thuyết địa phương kể rằng năm 938, một cánh quân của Ngô Quyền từng đóng ở cửa sông "
                "Lam Giang để chặn đường rút của thủy quân Nam Hán.",
                "Năm 1010, sau khi Lý Thái Tổ ban Chiếu dời đô từ Hoa Lư về Thăng Long, triều đình cho lập một "
                "trạm dịch ven sông tại Hội Thủy để chuyển lương thực và cống phẩm từ phương Nam ra kinh đô. "
                "Chùa Hải Quang, công trình cổ nhất còn lại của Hội Thủy, được dựng năm 1072 dưới triều vua Lý "
                "Nhân Tông.",
            ],
        ),
        (
            3,
            "Thời Lê sơ",
            [
                "Vào thế kỷ XV, dưới thời vua Lê Thánh Tông, Hội Thủy được đặt làm tuần ty, nơi thu thuế thuyền "
                "buôn ra vào cửa biển. Năm 1467, quan trấn thủ Đinh Văn Khải cho xây bến đá dài khoảng 300 mét; "
                "dấu tích của bến vẫn còn thấy khi nước ròng.",
            ],
        ),
        (
            3,
            "Thời kỳ thương mại quốc tế",
            [
                "Thế kỷ XVII là giai đoạn hưng thịnh nhất của Hội Thủy. Năm 1637, thương nhân người Hà Lan "
                "Hendrik Baerle đến Hội Thủy mua tơ lụa và đường phèn; sau đó Công ty Đông Ấn Hà Lan đặt một "
                "thương điếm nhỏ tại đây trong khoảng 10 năm.",
                "Thương nhân Nhật Bản Tanaka Heizō lập một khu phố Nhật bên bờ bắc sông, có chừng 60 nóc nhà. "
                'Năm 1695, nhà hàng hải người Anh Edward Whitcombe ghi trong nhật ký rằng bến Hội Thủy "đông '
                'đúc không kém các cảng ở Xiêm".',
            ],
        ),
        (
            3,
            "Suy tàn",
            [
                "Từ cuối thế kỷ XVIII, cửa sông bị bồi lấp, thuyền lớn không vào được, các thương nhân chuyển "
                "dần sang những cảng phía nam. Trận lụt lớn năm 1811 phá hủy phần lớn khu phố Nhật.",
            ],
        ),
        (
            2,
            "Kiến trúc và di tích",
            [
                "Quần thể di tích Hội Thủy hiện gồm chùa Hải Quang, đình Hội Thủy, bến đá thời Lê và 37 ngôi "
                "nhà cổ có niên đại từ thế kỷ XVIII đến đầu thế kỷ XX.",
                "Đình Hội Thủy được trùng tu lớn vào năm 1856; bộ vì kèo chạm rồng ở gian giữa được xem là "
                "tiêu biểu cho nghệ thuật chạm gỗ thời Nguyễn.",
            ],
        ),
        (
            2,
            "Lễ hội",
            [
                "Lễ hội Cầu Ngư của cư dân Hội Thủy được tổ chức vào ngày 28 tháng Giêng âm lịch hằng năm, với "
                "lễ rước thuyền, hát bả trạo và đua thuyền trên sông Lam Giang.",
            ],
        ),
        (
            2,
            "Nghiên cứu khảo cổ",
            [
                "Năm 1928, nhà khảo cổ người Pháp Henri Dufresne khai quật thử ở khu bến đá và tìm thấy nhiều "
                "mảnh gốm Hizen của Nhật Bản cùng gốm men lam Chu Đậu.",
                "Các đợt khai quật năm 2003 và năm 2011 phát hiện thêm dấu tích một kho hàng dựng bằng gỗ lim "
                "và hai con dấu đồng khắc chữ Hán.",
            ],
        ),
    ],
    "categories": ["Thương cảng cổ Việt Nam", "Di tích quốc gia tại Hải Đông", "Phường An Thịnh"],
    "modified": "Trang này được sửa đổi lần cuối vào ngày 3 tháng 11 năm 2025, lúc 09:12.",
}

TRAN_KHAC_MINH = {
    "title": "Trần Khắc Minh",
    "lead": [
        "Trần Khắc Minh (1418 – 1486), tự Tử Hối, hiệu Lam Khê, là một danh sĩ và nhà ngoại giao thời Lê "
        "sơ, quê ở làng Hội Thủy, nay thuộc phường An Thịnh, tỉnh Hải Đông."
    ],
    "infobox": [
        ("Sinh", "1418, làng Hội Thủy"),
        ("Mất", "1486 (68 tuổi), Thăng Long"),
        ("Học vị", "Hoàng giáp (khoa Mậu Thìn 1448)"),
        ("Chức vụ cao nhất", "Thượng thư bộ Lễ"),
        ("Tác phẩm", "Lam Khê thi tập, Bắc sứ ký hành"),
    ],
    "sections": [
        (
            2,
            "Thân thế",
            [
                "Ông sinh năm 1418, năm Lê Lợi dựng cờ khởi nghĩa ở Lam Sơn. Cha ông là Trần Khắc Tuấn, một "
                "thầy đồ dạy học trong làng.",
            ],
        ),
        (
            2,
            "Sự nghiệp",
            [
                "Năm 1448, ông đỗ Hoàng giáp khoa Mậu Thìn khi 30 tuổi và được bổ làm Hàn lâm viện thị giảng.",
                "Năm 1469, ông được cử làm chánh sứ sang nhà Minh; chuyến đi kéo dài 14 tháng và được ông ghi "
                "lại trong tập Bắc sứ ký hành. Năm 1471, ông theo vua Lê Thánh Tông đi đánh Chiêm Thành, phụ "
                "trách việc vận chuyển lương thảo. Năm 1478, ông được thăng Thượng thư bộ Lễ.",
            ],
        ),
        (
            2,
            "Tác phẩm",
            [
                "Lam Khê thi tập gồm 126 bài thơ chữ Hán. Bắc sứ ký hành ghi chép đường đi, phong tục và cuộc "
                "gặp với các sứ thần Triều Tiên tại Yên Kinh.",
                "Năm 1932, nhà Đông phương học người Pháp Léon Vasseur dịch một phần Bắc sứ ký hành sang tiếng "
                "Pháp. Năm 1998, học giả Nhật Bản Matsumoto Kenji công bố công trình khảo cứu văn bản học về "
                "Lam Khê thi tập.",
            ],
        ),
        (
            2,
            "Tưởng niệm",
            [
                "Nhà thờ họ Trần Khắc ở làng Hội Thủy thờ ông. Năm 2010, tên ông được đặt cho một tuyến phố ở "
                "phường An Thịnh.",
            ],
        ),
    ],
    "categories": ["Danh sĩ thời Lê sơ", "Người Hải Đông", "Sinh năm 1418", "Mất năm 1486"],
    "modified": "Trang này được sửa đổi lần cuối vào ngày 19 tháng 9 năm 2025, lúc 14:40.",
}

WIKI_NAV = ["Trang chính", "Nội dung chọn lọc", "Bài viết ngẫu nhiên", "Thay đổi gần đây", "Trợ giúp"]
WIKI_FOOTER = [
    "Văn bản được phát hành theo Giấy phép Creative Commons Ghi công - Chia sẻ tương tự; có thể áp dụng "
    "điều khoản bổ sung.",
    "Quy định quyền riêng tư",
    "Giới thiệu Bách khoa toàn thư Hải Đông",
    "Lời phủ nhận",
]

# =================================================================================================
# 15. News page (.html) with site chrome
# =================================================================================================

NEWS = {
    "title": "Lễ hội Cầu Ngư Hội Thủy năm 2025 thu hút hơn 15.000 lượt người dân và du khách",
    "date": "Thứ Ba, 25/02/2025 16:20",
    "sapo": (
        "Ngày 25/2 (tức ngày 28 tháng Giêng năm Ất Tỵ), Ủy ban nhân dân phường An Thịnh tổ chức Lễ hội Cầu "
        "Ngư Hội Thủy năm 2025, thu hút hơn 15.000 lượt người dân và du khách."
    ),
    "paras": [
        "Lễ hội năm nay diễn ra trong 2 ngày. Phần lễ gồm lễ rước thuyền, lễ tế cá Ông tại lăng Ông Nam "
        "Hải và hát bả trạo; phần hội có đua thuyền rồng, kéo co, lắc thúng chai và các gian hàng ẩm thực "
        "biển.",
        "Giải đua thuyền rồng trên sông Lam Giang có 24 đội tham gia, đến từ 9 tổ dân phố của phường và "
        "các xã lân cận. Đội thuyền của tổ dân phố Hội Thủy 3 giành giải nhất, nhận giải thưởng 30 triệu "
        "đồng.",
        "Theo ông Lê Hoàng Phúc, Chủ tịch Ủy ban nhân dân phường An Thịnh, tổng kinh phí tổ chức lễ hội là "
        '1,2 tỷ đồng, trong đó 70% huy động từ xã hội hóa. "Lễ hội Cầu Ngư là dịp để ngư dân cầu mong '
        'mưa thuận gió hòa, ra khơi bám biển an toàn", ông Phúc nói.',
        "Để phục vụ du khách, phường bố trí 3 bãi giữ xe miễn phí và 120 cán bộ, đoàn viên hỗ trợ giữ gìn "
        "trật tự, vệ sinh môi trường trong suốt thời gian diễn ra lễ hội.",
    ],
    "figures": [
        ("Các đội thuyền rồng tranh tài trên sông Lam Giang. Ảnh: Minh Trí", 1),
        ("Lễ rước thuyền qua các tuyến phố ven biển. Ảnh: Minh Trí", 3),
    ],
    "byline": "Thanh Hương",
    "menu": [
        "Trang chủ",
        "Giới thiệu",
        "Tin tức - Sự kiện",
        "Văn hóa - Xã hội",
        "Thủ tục hành chính",
        "Liên hệ",
    ],
    "share": ["Chia sẻ", "Facebook", "Zalo", "Sao chép liên kết", "In bài viết"],
    "related": [
        "Tin liên quan",
        "Phường An Thịnh ra quân làm sạch bãi biển đầu xuân",
        "Khai mạc Hội chợ Xuân Ất Tỵ 2025 tại An Thịnh",
    ],
    "footer": [
        "Cơ quan chủ quản: Ủy ban nhân dân phường An Thịnh",
        "Địa chỉ: Số 02 đường Trần Khắc Minh, phường An Thịnh, tỉnh Hải Đông",
        "Ghi rõ nguồn khi phát hành lại thông tin từ website này.",
    ],
}


# =================================================================================================
# Writers
# =================================================================================================


def _write(record: Record) -> None:
    (SOURCES / f"{record.file}.json").write_text(
        json.dumps(record.as_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


def build_docx(name: str, genre: str, blocks: list[B], desc: str, doc_title: str, author: str) -> None:
    write_docx(blocks, DOCS / name, doc_title, author)
    rec = Record(name, genre, desc)
    rec.add_blocks(blocks)
    _write(rec)


def build_md(name: str, genre: str, blocks: list[B], desc: str) -> None:
    write_md(blocks, DOCS / name)
    rec = Record(name, genre, desc)
    rec.add_blocks(blocks)
    _write(rec)


def build_txt(name: str, genre: str, blocks: list[B], desc: str) -> None:
    write_txt(blocks, DOCS / name)
    rec = Record(name, genre, desc)
    rec.add_blocks(blocks)
    _write(rec)


def build_text_pdf(
    name: str, genre: str, blocks: list[B], desc: str, header: str, doc_title: str, size: float = 11.5
) -> None:
    pdf = new_pdf(header=header, title_=doc_title, author="evals/genres")
    pdf.add_page()
    pdf_blocks(pdf, blocks, size=size)
    (DOCS / name).write_bytes(bytes(pdf.output()))
    rec = Record(name, genre, desc)
    rec.add_blocks(blocks)
    rec.chrome_line(header, "page header repeated on every page")
    for n in range(1, pdf.page_no() + 1):
        rec.chrome_line(f"Trang {n}", "page number in the page footer")
    _write(rec)


def cong_van_image():
    return render_scan([CONG_VAN_LEFT, CONG_VAN_RIGHT], CONG_VAN_BODY)


def cong_van_record(name: str, desc: str) -> Record:
    rec = Record(name, "scanned_letter", desc, ocr_pages=[1])
    for ln in CONG_VAN_LEFT + CONG_VAN_RIGHT + CONG_VAN_BODY:
        rec.add(ln.text, split=ln.size >= 13 and not ln.bold and ln.x0 == 354)
    return rec


def phu_luc_image():
    body = [Line(t, indent=120, gap=0.45) for t in PHU_LUC_ITEMS]
    return render_scan([PHU_LUC_HEADER], [*body, Line("", gap=0.5), *PHU_LUC_SIGN], skew_deg=-0.5)


def build_mixed_pdf(name: str, desc: str) -> None:
    pdf = new_pdf(header=None, footer_pages=False, title_="Tờ trình số 76/TTr-UBND", author="UBND xã An Phú")
    pdf.add_page()
    pdf_blocks(pdf, TO_TRINH, size=12.5)
    text_pages = pdf.page_no()
    pdf_scan_page(pdf, phu_luc_image())
    (DOCS / name).write_bytes(bytes(pdf.output()))
    rec = Record(name, "mixed_pdf", desc, ocr_pages=[text_pages + 1])
    rec.add_blocks(TO_TRINH)
    for ln in PHU_LUC_HEADER + PHU_LUC_SIGN:
        rec.add(ln.text, split=False)
    for t in PHU_LUC_ITEMS:
        rec.add(t, split=False)
    _write(rec)


def build_xlsx(name: str, desc: str) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    wb = Workbook()
    ws = wb.active
    ws.title = "Chỉ tiêu 2025"
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws["A1"] = "KẾT QUẢ SẢN XUẤT NÔNG NGHIỆP XÃ AN PHÚ NĂM 2025"
    ws.merge_cells("A1:F1")
    ws["A1"].font = Font(bold=True, size=13)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws["A2"] = "(Số liệu ước thực hiện đến ngày 30/11/2025)"
    ws.merge_cells("A2:F2")
    ws["A2"].alignment = Alignment(horizontal="center")
    ws["A2"].font = Font(italic=True)
    header = ["STT", "Chỉ tiêu", "Đơn vị tính", "Kế hoạch 2025", "Thực hiện 2025", "Tỷ lệ thực hiện (%)"]
    ws.append([])
    ws.append(header)
    # (label, unit, plan, actual, number format); None actual/plan = formula row
    rows = [
        ("Diện tích lúa vụ Đông Xuân", "ha", 1020, 1031, "#,##0"),
        ("Diện tích lúa vụ Hè Thu", "ha", 830, 841, "#,##0"),
        ("Diện tích gieo trồng lúa cả năm", "ha", None, None, "#,##0"),
        ("Năng suất lúa bình quân", "tạ/ha", 62.5, 63.8, "#,##0.0"),
        ("Sản lượng lương thực có hạt", "tấn", 11900, 12134, "#,##0"),
        ("Diện tích rau màu các loại", "ha", 420, 436.5, "#,##0.0"),
        ("Tổng đàn gia cầm", "nghìn con", 185, 192.4, "#,##0.0"),
        ("Tổng đàn lợn", "con", 8200, 7950, "#,##0"),
        ("Diện tích nuôi trồng thủy sản", "ha", 96, 101.3, "#,##0.0"),
        ("Tỷ lệ cơ giới hóa khâu làm đất", "%", 0.95, 0.968, "0.0%"),
    ]
    first = 5
    cached: dict[str, float] = {}
    shown: list[list[str]] = []
    for i, (label, unit, plan, actual, fmt) in enumerate(rows):
        r = first + i
        ws.cell(r, 1, i + 1)
        ws.cell(r, 2, label)
        ws.cell(r, 3, unit)
        if plan is None:  # the yearly total is a formula over the two seasons
            ws.cell(r, 4, f"=SUM(D{first}:D{first + 1})")
            ws.cell(r, 5, f"=SUM(E{first}:E{first + 1})")
            plan, actual = rows[0][2] + rows[1][2], rows[0][3] + rows[1][3]
            cached[f"D{r}"], cached[f"E{r}"] = plan, actual
        else:
            ws.cell(r, 4, plan)
            ws.cell(r, 5, actual)
        ws.cell(r, 4).number_format = fmt
        ws.cell(r, 5).number_format = fmt
        ws.cell(r, 6, f"=E{r}/D{r}")
        ws.cell(r, 6).number_format = "0.0%"
        ratio = round(actual / plan, 6)
        cached[f"F{r}"] = ratio
        shown.append([str(i + 1), label, unit, _vn(plan, fmt), _vn(actual, fmt), _vn(ratio, "0.0%")])
    last = first + len(rows) - 1
    ws.cell(last + 2, 2, "Người lập biểu: Nguyễn Thị Hồng Nhung, công chức Nông nghiệp - Môi trường")
    ws.cell(last + 3, 2, "Ngày lập: 28/11/2025")
    for row in ws.iter_rows(min_row=4, max_row=last, max_col=6):
        for c in row:
            c.border = box
    for c in ws[4]:
        c.font = Font(bold=True)
        c.alignment = Alignment(horizontal="center", wrap_text=True)
    for col, width in zip("ABCDEF", (6, 36, 12, 15, 15, 16), strict=True):
        ws.column_dimensions[col].width = width
    wb.properties.created = wb.properties.modified = __import__("datetime").datetime(2025, 11, 28, 9, 0)
    wb.properties.creator = wb.properties.lastModifiedBy = "Nguyễn Thị Hồng Nhung"
    wb.properties.title = "Kết quả sản xuất nông nghiệp xã An Phú năm 2025"
    (DOCS / name).write_bytes(xlsx_with_cached_values(wb, {"xl/worksheets/sheet1.xml": cached}))

    rec = Record(name, "spreadsheet", desc)
    rec.add(ws["A1"].value, split=False)
    rec.add(ws["A2"].value, split=False)
    rec.table_headers = list(header)
    for row in shown:
        for t in row[1:]:  # the STT column carries no content
            rec.add(t, split=False)
    rec.add(ws.cell(last + 2, 2).value, split=False)
    rec.add(ws.cell(last + 3, 2).value, split=False)
    rec.tables.append({"caption": ws["A1"].value, "columns": header, "rows": shown})
    _write(rec)


def _vn(value: float, fmt: str) -> str:
    """A number as Excel shows it in a Vietnamese locale: '.' thousands, ',' decimals."""
    if fmt.endswith("%"):
        return f"{value * 100:.1f}".replace(".", ",") + "%"
    digits = 1 if fmt.endswith(".0") else 0
    s = f"{value:,.{digits}f}"
    return s.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


# --- HTML ----------------------------------------------------------------------------------------

E = html.escape


def build_encyclopedia(name: str, art: dict, desc: str) -> None:
    rec = Record(name, "encyclopedia", desc)
    rec.add(art["title"], split=False)
    toc = [t for lvl, t, _ in art["sections"] if lvl == 2]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="vi">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{E(art['title'])} – Bách khoa toàn thư Hải Đông</title>",
        '<link rel="stylesheet" href="/static/wiki.css">',
        "</head>",
        "<body>",
        '<a class="skip-link" href="#content">Bước tới nội dung</a>',
        '<header class="site-header"><div class="logo">Bách khoa toàn thư Hải Đông</div>',
        '<form class="search" action="/tim-kiem"><input name="q" placeholder="Tìm kiếm">'
        "<button>Tìm</button></form></header>",
        '<nav class="main-menu" aria-label="Trình đơn chính"><ul>',
        *[f'<li><a href="/{i}">{E(t)}</a></li>' for i, t in enumerate(WIKI_NAV)],
        "</ul></nav>",
        '<main id="content"><article>',
        f'<h1 class="firstHeading">{E(art["title"])}</h1>',
        '<div class="siteSub">Bách khoa toàn thư Hải Đông</div>',
        '<table class="infobox">',
        f"<caption>{E(art['title'].split(' (')[0])}</caption>",
    ]
    rec.chrome_line("Bước tới nội dung", "skip link")
    rec.chrome_line("Tìm kiếm", "search box")
    for t in WIKI_NAV:
        rec.chrome_line(t, "site menu (<nav>)")
    rec.chrome_line("Bách khoa toàn thư Hải Đông", "site name under the title")
    for label, value in art["infobox"]:
        parts.append(f'<tr><th scope="row">{E(label)}</th><td>{E(value)}</td></tr>')
        rec.add(label, split=False)
        rec.add(value, split=False)
    parts.append("</table>")
    for para in art["lead"]:
        parts.append(f"<p>{E(para)}</p>")
        rec.add(para)
    parts.append('<nav id="toc" aria-label="Mục lục"><h2>Mục lục</h2><ol>')
    for i, t in enumerate(toc, 1):
        parts.append(f'<li><a href="#s{i}">{i} {E(t)}</a></li>')
    parts.append("</ol></nav>")
    rec.chrome_line("Mục lục", "table of contents")
    for i, t in enumerate(toc, 1):
        rec.chrome_line(f"{i} {t}", "table of contents")
    n = 0
    for level, heading, paras in art["sections"]:
        n += level == 2
        anchor = f' id="s{n}"' if level == 2 else ""
        parts.append(
            f"<h{level}{anchor}>{E(heading)}"
            '<span class="mw-editsection">[<a href="?action=edit">sửa</a>]</span>'
            f"</h{level}>"
        )
        rec.add(heading, split=False)
        for para in paras:
            parts.append(f"<p>{E(para)}</p>")
            rec.add(para)
    rec.chrome_line("[sửa]", "edit link next to each heading")
    parts += [
        '<div class="catlinks">Thể loại: '
        + " | ".join(f'<a href="/the-loai/{i}">{E(c)}</a>' for i, c in enumerate(art["categories"]))
        + "</div>",
        "</article></main>",
        "<footer><ul>",
        f"<li>{E(art['modified'])}</li>",
        *[f"<li>{E(t)}</li>" for t in WIKI_FOOTER],
        "</ul></footer>",
        "</body>",
        "</html>",
    ]
    for c in art["categories"]:
        rec.chrome_line(c, "category links at the end of the article")
    rec.chrome_line(art["modified"], "page footer")
    for t in WIKI_FOOTER:
        rec.chrome_line(t, "page footer")
    (DOCS / name).write_text("\n".join(parts) + "\n", encoding="utf-8")
    _write(rec)


def build_news(name: str, desc: str) -> None:
    n = NEWS
    rec = Record(name, "news", desc)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="vi">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{E(n['title'])} - Cổng thông tin điện tử phường An Thịnh</title>",
        '<meta property="article:published_time" content="2025-02-25T16:20:00+07:00">',
        "</head>",
        "<body>",
        '<header><div class="logo">CỔNG THÔNG TIN ĐIỆN TỬ PHƯỜNG AN THỊNH</div>',
        '<nav class="menu"><ul>',
        *[f'<li><a href="/m{i}">{E(t)}</a></li>' for i, t in enumerate(n["menu"])],
        "</ul></nav></header>",
        '<div class="breadcrumb"><a href="/">Trang chủ</a> › <a href="/van-hoa">Văn hóa - Xã hội</a></div>',
        '<main><article class="detail">',
        f"<h1>{E(n['title'])}</h1>",
        f'<div class="meta"><time datetime="2025-02-25T16:20">{E(n["date"])}</time></div>',
        '<div class="share-bar">',
        *[f'<a class="share" href="#s{i}">{E(t)}</a>' for i, t in enumerate(n["share"])],
        "</div>",
        f'<p class="sapo"><strong>{E(n["sapo"])}</strong></p>',
    ]
    rec.chrome_line("CỔNG THÔNG TIN ĐIỆN TỬ PHƯỜNG AN THỊNH", "site banner")
    for t in n["menu"]:
        rec.chrome_line(t, "site menu (<nav>)")
    rec.chrome_line("Trang chủ › Văn hóa - Xã hội", "breadcrumb")
    for t in n["share"]:
        rec.chrome_line(t, "share bar")
    rec.add(n["title"], split=False)
    rec.add(n["sapo"])
    figures = dict((after, cap) for cap, after in n["figures"])
    for i, para in enumerate(n["paras"]):
        parts.append(f"<p>{E(para)}</p>")
        rec.add(para)
        if i in figures:
            parts += [
                '<figure class="image">',
                f'<img src="/uploads/2025/02/le-hoi-{i}.jpg" alt="">',
                f"<figcaption>{E(figures[i])}</figcaption>",
                "</figure>",
            ]
            rec.chrome_line(figures[i], "photo caption (<figcaption>)")
    parts += [
        f'<p class="author">{E(n["byline"])}</p>',
        "</article>",
        '<aside class="related">',
        f"<h3>{E(n['related'][0])}</h3><ul>",
        *[f'<li><a href="/tin/{i}">{E(t)}</a></li>' for i, t in enumerate(n["related"][1:])],
        "</ul></aside>",
        "</main>",
        "<footer>",
        *[f"<p>{E(t)}</p>" for t in n["footer"]],
        "</footer>",
        "</body>",
        "</html>",
    ]
    rec.chrome_line(n["byline"], "author byline")
    for t in n["related"]:
        rec.chrome_line(t, "related-news links")
    for t in n["footer"]:
        rec.chrome_line(t, "site footer")
    (DOCS / name).write_text("\n".join(parts) + "\n", encoding="utf-8")
    _write(rec)


# =================================================================================================


def main(root: Path = HERE) -> None:
    """Write docs/ and sources/ under `root` (default: evals/genres; tests build elsewhere to compare)."""
    global DOCS, SOURCES
    DOCS, SOURCES = root / "docs", root / "sources"
    DOCS.mkdir(parents=True, exist_ok=True)
    SOURCES.mkdir(parents=True, exist_ok=True)
    for old in [*DOCS.iterdir(), *SOURCES.iterdir()]:
        old.unlink()

    build_docx(
        "quy-che-dao-tao-dh-duyen-hai.docx",
        "regulation",
        QUY_CHE,
        "University training regulation: Chương (Heading 1) / Mục (Heading 2) / Điều (Heading 3), "
        "khoản '1.', điểm 'a)', lead-ins ending in ':'.",
        "Quy chế đào tạo trình độ đại học",
        "Phòng Đào tạo",
    )
    build_md(
        "nghi-quyet-hdnd-an-phu-ho-tro-nong-nghiep.md",
        "regulation",
        NGHI_QUYET,
        "Commune HĐND resolution in Markdown: ## Chương, ### Điều, numbered khoản, điểm a)-c), "
        "italic 'Căn cứ' lines.",
    )
    build_txt(
        "quy-dinh-nha-van-hoa-phu-thanh.txt",
        "regulation",
        NHA_VAN_HOA,
        "Village cultural-house rules as plain text: 'Chương I' and its name on two lines, Điều N., "
        "khoản, điểm a)-đ).",
    )
    build_docx(
        "hop-dong-lao-dong-hai-minh.docx",
        "contract",
        HD_LAO_DONG,
        "Labour contract: Bên A / Bên B, Điều 1-8, salary and allowances, term, short obligations a)-đ).",
        "Hợp đồng lao động số 27/2025/HĐLĐ-HM",
        "Công ty TNHH Thực phẩm Hải Minh",
    )
    build_docx(
        "hop-dong-ve-sinh-an-thinh.docx",
        "contract",
        HD_VE_SINH,
        "Service contract (street cleaning) with a price table and a merged 'Tổng cộng' row.",
        "Hợp đồng dịch vụ số 09/2025/HĐDV",
        "UBND phường An Thịnh",
    )
    build_docx(
        "bao-cao-kt-xh-an-thinh-2025.docx",
        "report_table",
        KT_XH,
        "Ward socio-economic report: Bảng 1 with a two-row header (Năm 2025 › Kế hoạch / Thực hiện, "
        "So sánh (%) › ...), unit column, merged group rows A/B/C; Bảng 2 with 2026 targets.",
        "Báo cáo tình hình kinh tế - xã hội năm 2025",
        "UBND phường An Thịnh",
    )
    build_text_pdf(
        "bao-cao-kt-xh-an-thinh-2025-ban-in.pdf",
        "report_table",
        KT_XH,
        "The same ward report as a text-layer PDF (fpdf2 table with borders, headings repeated across "
        "pages), running page header and 'Trang N' footers.",
        KT_XH_HEADER,
        "Báo cáo số 245/BC-UBND",
        size=13.5,  # Bảng 1 then runs over a page break (its two heading rows repeat)
    )
    build_text_pdf(
        "ngan-sach-an-phu-2025.pdf",
        "report_table",
        NGAN_SACH,
        "Commune budget report, PDF only: Biểu số 01 (two-row header, units in the header), narrative "
        "figures, page header and 'Trang N' footers.",
        NGAN_SACH_HEADER,
        "Báo cáo số 198/BC-UBND",
    )
    build_xlsx(
        "san-xuat-nong-nghiep-an-phu-2025.xlsx",
        "Commune farm indicators: title merged A1:F1, header with units, SUM formula row, E/D ratio "
        "formulas in percent format, a percent-formatted input cell; cached values as Excel saves them.",
    )
    img = cong_van_image()
    (DOCS / "cong-van-1208-ung-pho-bao.png").write_bytes(png_bytes(img))
    _write(
        cong_van_record(
            "cong-van-1208-ung-pho-bao.png",
            "Scanned official letter (300 dpi greyscale PNG, slight skew): two-column header, Kính gửi, "
            "numbered instructions with figures, signer.",
        )
    )
    pdf = new_pdf(header=None, footer_pages=False, title_="", author="")
    pdf_scan_page(pdf, img)
    (DOCS / "cong-van-1208-ung-pho-bao-ban-chup.pdf").write_bytes(bytes(pdf.output()))
    _write(
        cong_van_record(
            "cong-van-1208-ung-pho-bao-ban-chup.pdf",
            "The same scanned letter as an image-only PDF (no text layer).",
        )
    )
    build_mixed_pdf(
        "to-trinh-ho-tro-nha-o-an-phu.pdf",
        "Mixed PDF: page 1 a typed Tờ trình (text layer), page 2 its scanned appendix listing "
        "households and amounts (image only).",
    )
    build_encyclopedia(
        "bach-khoa-hoi-thuy.html",
        HOI_THUY,
        "Encyclopedia article on a (fictional) old port: infobox table, <nav> menu and table of contents, "
        "edit links, categories, footer; years 938, 1010, 1072, thế kỷ XV, 1637; foreign names.",
    )
    build_encyclopedia(
        "bach-khoa-tran-khac-minh.html",
        TRAN_KHAC_MINH,
        "Encyclopedia biography of a (fictional) 15th-century scholar: infobox, years 1418-1486, "
        "French and Japanese scholars' names.",
    )
    build_news(
        "tin-le-hoi-cau-ngu-an-thinh.html",
        "News page: menu, breadcrumb, share bar, two <figure> photos with captions, byline, related "
        "links, footer around the article.",
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
